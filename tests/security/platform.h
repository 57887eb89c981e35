// Every service of the platform in-process, each on its own scratch database
// and the test Redis, wired to each other the way production wires them, so
// the security drills go through the real peer calls (roster checks,
// coverage from attendance, client lookups from outcomes).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "scheduling/app.h"
#include "support/service_harness.h"
#include "curriculum/app.h"
#ifdef IOP_SECURITY_HAS_ATTENDANCE
#include "attendance/app.h"
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
#include "outcomes/app.h"
#endif

namespace iop::security {

// One service in-process; `wire` points its peer addresses before it starts.
template <class App>
class Hosted {
 public:
  Hosted(const std::string& service, const std::function<void(config::Config&)>& wire) : db_("sec_" + service) {
    config_ = testing::TestConfig(service, db_.url(), testing::RedisUrl());
    wire(config_);
    app_ = std::make_unique<App>(config_);
    app_->runtime().Start();
  }
  ~Hosted() { app_.reset(); }
  std::string address() { return "127.0.0.1:" + std::to_string(app_->runtime().port()); }
  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  testing::ScratchDatabase db_;
  config::Config config_;
  std::unique_ptr<App> app_;
};

// Nothing listens here: a peer the build does not have fails as UNAVAILABLE.
inline const std::string kNowhere = "127.0.0.1:1";

struct Platform {
  Hosted<scheduling::SchedulingApp> scheduling{"scheduling", [](config::Config&) {}};
#ifdef IOP_SECURITY_HAS_ATTENDANCE
  Hosted<attendance::AttendanceApp> attendance{
      "attendance", [this](config::Config& c) { c.scheduling_addr = scheduling.address(); }};
#endif
  Hosted<curriculum::CurriculumApp> curriculum{"curriculum", [this](config::Config& c) {
                                                 c.scheduling_addr = scheduling.address();
#ifdef IOP_SECURITY_HAS_ATTENDANCE
                                                 c.attendance_addr = attendance.address();
#else
                                                 c.attendance_addr = kNowhere;
#endif
                                               }};
#ifdef IOP_SECURITY_HAS_OUTCOMES
  Hosted<outcomes::OutcomesApp> outcomes{
      "outcomes", [this](config::Config& c) { c.scheduling_addr = scheduling.address(); }};
#endif
};

}  // namespace iop::security
