// Server bootstrap shared by every service: callback-API server with the
// metrics interceptor, health service tied to the database, reflection, a
// message-size limit, optional TLS/mTLS, and a SIGTERM drain.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/drain.h"
#include "common/metrics.h"

namespace iop::server {

// Call first in main, before any thread exists, so SIGTERM/SIGINT reach only
// the thread that waits for them.
void BlockTerminationSignals();

class ServiceHost {
 public:
  // `probe` answers whether the service can do its work (the database ping);
  // health is SERVING only while it says yes.
  ServiceHost(const config::Config& config, metrics::Metrics& metrics,
              std::function<bool()> probe, Drain* drain = nullptr);
  ~ServiceHost();

  void AddService(grpc::Service* service);  // before Start
  // Builds and starts the server; throws when the address cannot be bound.
  void Start();
  int port() const { return port_; }
  int health_port() const { return health_port_; }
  // Blocks until SIGTERM or SIGINT, then Shutdown().
  void WaitForTermination();
  // Health NOT_SERVING, refuse new calls, wait up to drain_seconds for
  // in-flight ones, cancel the rest.
  void Shutdown();
  bool serving() const { return serving_.load(); }
  // Forces one probe now (tests use it instead of waiting for the period).
  void ProbeNow();

 private:
  void ProbeLoop();
  void SetServing(bool serving);

  const config::Config& config_;
  metrics::Metrics& metrics_;
  std::function<bool()> probe_;
  Drain* drain_;
  std::unique_ptr<metrics::GrpcServerMetrics> grpc_metrics_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // IOP_HEALTH_ADDR, plaintext
  int port_ = 0;
  int health_port_ = 0;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stopping_{false};
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  std::thread probe_thread_;
};

// Credentials for IOP_TLS_*; insecure when TLS is not configured.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const config::TlsConfig& tls);

}  // namespace iop::server
