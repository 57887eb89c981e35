// Curriculum in-process for integration tests, pointed at peers (scheduling,
// attendance) that the test also runs in-process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "curriculum/app.h"
#include "support/service_harness.h"

namespace iop::curriculum::testing {

class CurriculumInProcess {
 public:
  explicit CurriculumInProcess(const std::string& prefix, const std::string& scheduling_addr = "127.0.0.1:1",
                               const std::string& attendance_addr = "127.0.0.1:1")
      : db_(prefix) {
    config_ = iop::testing::TestConfig("curriculum", db_.url(), iop::testing::RedisUrl());
    config_.scheduling_addr = scheduling_addr;
    config_.attendance_addr = attendance_addr;
    app_ = std::make_unique<CurriculumApp>(config_);
    app_->runtime().Start();
  }
  ~CurriculumInProcess() { app_.reset(); }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->runtime().port()),
                               grpc::InsecureChannelCredentials());
  }

 private:
  iop::testing::ScratchDatabase db_;
  config::Config config_;
  std::unique_ptr<CurriculumApp> app_;
};

}  // namespace iop::curriculum::testing
