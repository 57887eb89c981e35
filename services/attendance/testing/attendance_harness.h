// Runs the attendance service in-process for an integration test, pointed at
// a scheduling service of the test's choice (fake or real), on its own
// scratch database and the test Redis.
#pragma once

#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "attendance/app.h"
#include "iop/attendance/v1/attendance.grpc.pb.h"
#include "support/service_harness.h"

namespace iop::attendance::testing {

class AttendanceUnderTest {
 public:
  explicit AttendanceUnderTest(const std::string& scheduling_addr, const std::string& prefix = "att")
      : db_(std::make_unique<iop::testing::ScratchDatabase>(prefix)), database_url_(db_->url()) {
    Start(scheduling_addr);
  }
  // Another replica: its own server on `first`'s database (which must
  // outlive it), its configuration adjusted by `adjust` when given.
  AttendanceUnderTest(const std::string& scheduling_addr, const AttendanceUnderTest& first,
                      const std::function<void(config::Config&)>& adjust = nullptr)
      : database_url_(first.database_url()) {
    Start(scheduling_addr, adjust);
  }
  ~AttendanceUnderTest() { app_.reset(); }

  AttendanceApp& app() { return *app_; }
  const std::string& database_url() const { return database_url_; }
  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->runtime().port()),
                               grpc::InsecureChannelCredentials());
  }
  std::unique_ptr<v1::AttendanceService::Stub> Stub() { return v1::AttendanceService::NewStub(Channel()); }

 private:
  void Start(const std::string& scheduling_addr, const std::function<void(config::Config&)>& adjust = nullptr) {
    config_ = iop::testing::TestConfig("attendance", database_url_, iop::testing::RedisUrl());
    config_.scheduling_addr = scheduling_addr;
    if (adjust) adjust(config_);
    app_ = std::make_unique<AttendanceApp>(config_);
    app_->runtime().Start();
  }

  std::unique_ptr<iop::testing::ScratchDatabase> db_;  // null for a second replica
  std::string database_url_;
  config::Config config_;
  std::unique_ptr<AttendanceApp> app_;
};

// An org id no earlier run used: cached scheduling answers live in the
// shared test Redis, keyed by org.
inline std::string UniqueOrg(const std::string& name) {
  static std::atomic<int> next{0};
  return "org-" + name + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(absl::ToUnixMicros(absl::Now())) + "-" + std::to_string(next++);
}

}  // namespace iop::attendance::testing
