#include "common/runtime.h"

#include "absl/synchronization/mutex.h"
#include "common/idempotency.h"
#include "common/migrate.h"

namespace iop::server {

Runtime::Runtime(const config::Config& config, const std::vector<migrations::Migration>& migrations,
                 const std::string& grpc_service_name)
    : config_(config) {
  // Debian's abseil is built with its debug checks on, so every absl::Mutex
  // (gRPC's locks) kept a lock-order graph: a few percent of the CPU of each
  // call in profiles. Release builds of abseil skip it; so do we.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  db::ApplyMigrations(config_.database_url, config_.service, migrations);
  db_ = std::make_unique<db::Pool>(
      db::PoolOptions{.url = config_.database_url, .size = config_.db_pool_size,
                      .service = config_.service},
      metrics_.registry());
  cache_ = std::make_unique<cache::Cache>(
      cache::CacheOptions{.url = config_.redis_url, .service = config_.service},
      metrics_.registry());
  audit_ = std::make_unique<audit::AuditLog>(*db_);
  authenticator_ = std::make_unique<auth::Authenticator>(config_.jwt_secret);
  // Handlers block on the database: a few more workers than connections
  // keeps the pool busy while some workers wait on Redis or the network.
  workers_ = std::make_unique<WorkerPool>(config_.db_pool_size + 4);
  runner_ = std::make_unique<CallRunner>(*authenticator_, *workers_, audit_.get(), grpc_service_name,
                                         &drain_);
  host_ = std::make_unique<ServiceHost>(config_, metrics_, [this] { return db_->Ping(); }, &drain_);
}

Runtime::~Runtime() { Shutdown(); }

void Runtime::Start() {
  metrics_.Serve(config_.metrics_addr);
  host_->Start();
  // Retries come within minutes; a key kept forever only grows the table.
  // Every replica runs it: deleting what another already deleted is free.
  request_id_purge_ = std::make_unique<Periodic>(config_.request_id_purge_period, [this] {
    try {
      const std::int64_t deleted = idempotency::Purge(*db_, std::chrono::hours(config_.request_id_retention_hours));
      if (deleted > 0) {
        log::Info("request ids past their retention deleted",
                  {{"service", config_.service}, {"deleted", deleted}});
      }
    } catch (const std::exception& e) {
      log::Warn("deleting old request ids failed; tried again next period",
                {{"service", config_.service}, {"error", db::ErrorSummary(e)}});
    }
  });
}

void Runtime::Shutdown() { host_->Shutdown(); }

}  // namespace iop::server
