// Runs one service in-process for an integration test: its own scratch
// database on the test PostgreSQL, the test Redis (or a given one), ports
// picked by the OS, and helpers to mint tokens and open channels.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/config.h"
#include "support/test_env.h"

namespace iop::testing {

inline const std::string kTestSecret = "integration-test-secret-0123456789abcdef";

inline config::Config TestConfig(const std::string& service, const std::string& database_url,
                                 const std::string& redis_url) {
  config::Config c;
  c.service = service;
  c.grpc_addr = "127.0.0.1:0";
  c.metrics_addr = "127.0.0.1:0";
  c.database_url = database_url;
  c.redis_url = redis_url;
  c.jwt_secret = kTestSecret;
  c.db_pool_size = 4;
  c.drain_seconds = 5;
  return c;
}

inline std::string Token(const std::string& org, const std::string& role,
                         const std::vector<std::string>& sites = {},
                         const std::string& subject = "tester") {
  return auth::MintToken(kTestSecret, {.subject = subject, .org = org, .roles = {role}, .sites = sites});
}

template <class App>
class InProcess {
 public:
  // `adjust` may change the configuration before the app starts (peer
  // addresses, for one).
  explicit InProcess(const std::string& service, std::string redis_url = RedisUrl(),
                     const std::function<void(config::Config&)>& adjust = nullptr)
      : db_(service) {
    config_ = TestConfig(service, db_.url(), redis_url);
    if (adjust) adjust(config_);
    app_ = std::make_unique<App>(config_);
    app_->runtime().Start();
  }
  ~InProcess() { app_.reset(); }

  App& app() { return *app_; }
  int port() { return app_->runtime().port(); }
  int metrics_port() { return app_->runtime().metrics().port(); }
  const std::string& database_url() const { return db_.url(); }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port()),
                               grpc::InsecureChannelCredentials());
  }

 private:
  ScratchDatabase db_;
  config::Config config_;
  std::unique_ptr<App> app_;
};

// A client context carrying `Bearer <token>` and a deadline.
inline std::unique_ptr<grpc::ClientContext> WithToken(const std::string& token, int deadline_ms = 10000) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return ctx;
}

}  // namespace iop::testing
