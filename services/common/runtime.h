// The runtime every service assembles the same way: metrics, database pool
// (after migrations), cache, audit log, auth, workers, call runner and the
// server host. A service adds its stores and API on top (see each app.h).
#pragma once

#include <cstdio>
#include <memory>
#include <vector>

#include "common/audit.h"
#include "common/cache.h"
#include "common/call.h"
#include "common/config.h"
#include "common/db.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/periodic.h"
#include "common/server.h"

namespace iop::server {

class Runtime {
 public:
  // Applies the migrations (under the advisory lock) before anything serves.
  Runtime(const config::Config& config, const std::vector<migrations::Migration>& migrations,
          const std::string& grpc_service_name);
  ~Runtime();

  // Serves /metrics and gRPC; returns once both listen.
  void Start();
  // Health NOT_SERVING, drain, stop. Idempotent.
  void Shutdown();
  void WaitForTermination() { host_->WaitForTermination(); }

  const config::Config& config() const { return config_; }
  metrics::Metrics& metrics() { return metrics_; }
  db::Pool& db() { return *db_; }
  cache::Cache& cache() { return *cache_; }
  audit::AuditLog& audit() { return *audit_; }
  CallRunner& runner() { return *runner_; }
  WorkerPool& workers() { return *workers_; }
  Drain& drain() { return drain_; }
  ServiceHost& host() { return *host_; }
  int port() const { return host_->port(); }

 private:
  config::Config config_;
  metrics::Metrics metrics_;
  std::unique_ptr<db::Pool> db_;
  std::unique_ptr<cache::Cache> cache_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  Drain drain_;  // outlives the workers, whose queued calls hold its tickets
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallRunner> runner_;
  std::unique_ptr<ServiceHost> host_;
  // Deletes request_ids past their retention; last, so it stops first.
  std::unique_ptr<Periodic> request_id_purge_;
};

// main() of every service: config from the environment (one clear line and
// exit 2 on a bad value), build App on the runtime, serve until SIGTERM, log
// a fatal error as JSON and exit 1. App has `explicit App(const Config&)` and
// `Runtime& runtime()`.
template <class App>
int RunService(const config::ServiceDefaults& defaults) {
  BlockTerminationSignals();
  config::Config cfg;
  try {
    cfg = config::Load(defaults);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "iop-%s: configuration error: %s\n", defaults.service.c_str(), e.what());
    return 2;
  }
  log::SetLevel(cfg.log_level);
  try {
    App app(cfg);
    app.runtime().Start();
    app.runtime().WaitForTermination();
  } catch (const std::exception& e) {
    log::Error("fatal", {{"service", defaults.service}, {"error", e.what()}});
    return 1;
  }
  return 0;
}

}  // namespace iop::server
