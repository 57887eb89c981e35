// Prometheus: one registry per process, served on IOP_METRICS_ADDR/metrics,
// with process metrics and the gRPC server metrics of go-grpc-prometheus
// (same names, labels and code spelling, so community dashboards work).
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace iop::metrics {

// Owns the registry and, once Serve() is called, the HTTP endpoint.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  // Starts serving /metrics on host:port (throws if the port is taken).
  void Serve(const std::string& address);
  // The bound port (useful when the address asked for port 0); 0 if not serving.
  int port() const;
  // Stops serving; returns in milliseconds (see metrics.cc). Also done by
  // the destructor.
  void StopServing();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;  // of the address served, to reach the listener when stopping
};

// process_cpu_seconds_total, process_resident_memory_bytes, ... read from
// /proc at scrape time, as the Go and Python clients export them.
std::shared_ptr<prometheus::Collectable> MakeProcessCollector();

// "/iop.scheduling.v1.SchedulingService/GetSite" → service and method.
struct MethodName {
  std::string service;
  std::string method;
};
MethodName SplitMethod(const char* full_method);

// The grpc_server_* families; one instance per server.
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  struct PerMethod {
    MethodName name;
    std::string type;  // unary, client_stream, server_stream, bidi_stream
    prometheus::Counter* started;
    prometheus::Counter* msg_received;
    prometheus::Counter* msg_sent;
    prometheus::Histogram* handling_seconds;
    // grpc_server_handled_total per status code, filled on first use so the
    // hot path neither locks the family nor allocates a counter per call.
    mutable std::array<std::atomic<prometheus::Counter*>, 17> handled{};
  };
  // Cached per method so the hot path does one map lookup.
  PerMethod& For(const char* full_method, const std::string& type);
  void Handled(const PerMethod& m, grpc::StatusCode code);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<PerMethod>> methods_;
};

// Interceptor factory: every RPC is counted without handlers doing anything.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory(
    GrpcServerMetrics& metrics);

}  // namespace iop::metrics
