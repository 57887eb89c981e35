// The attendance service assembled on the shared runtime; main() and the
// integration tests build it the same way.
#pragma once

#include "attendance/api/attendance_api.h"
#include "attendance/api/change_relay.h"
#include "attendance/api/event_hub.h"
#include "attendance/store/attendance_store.h"
#include "attendance/store/change_feed.h"
#include "attendance/store/scheduling_peer.h"
#include "common/downstream.h"
#include "common/runtime.h"

namespace iop::migrations {
std::vector<Migration> attendance_migrations();
}

namespace iop::attendance {

inline const config::ServiceDefaults kDefaults{"attendance", 50052, 9102};

class AttendanceApp {
 public:
  explicit AttendanceApp(const config::Config& config)
      : runtime_(config, migrations::attendance_migrations(), "iop.attendance.v1.AttendanceService"),
        scheduling_channel_("scheduling", config.scheduling_addr, config.tls),
        scheduling_(scheduling_channel_, runtime_.cache()),
        store_(runtime_.db(), [this](std::function<void()> task) { runtime_.workers().Post(std::move(task)); }),
        metrics_(runtime_.metrics().registry()),
        relay_(hub_, store_),
        changes_(db::ConnectionString(config.database_url, "iop-attendance-changes",
                                      std::chrono::milliseconds(0), std::chrono::seconds(5)),
                 relay_, runtime_.metrics().registry()),
        api_(runtime_.runner(), runtime_.workers(), store_, scheduling_, runtime_.audit(), hub_, changes_,
             metrics_) {
    runtime_.host().AddService(&api_);
    // Watches here also hear the changes other replicas commit (the feed
    // listens while a watch is open).
    changes_.Start();
    // Open watches end with UNAVAILABLE (clients reconnect to another
    // replica) as soon as the drain starts, instead of holding it to the end
    // of the grace period.
    runtime_.drain().OnClose([this] { hub_.Shutdown(); });
  }
  // No more relayed changes; open watches end with UNAVAILABLE, so the
  // drain does not wait on them; then stop serving before the API and
  // stores below it go away.
  ~AttendanceApp() {
    changes_.Stop();
    hub_.Shutdown();
    runtime_.Shutdown();
  }
  server::Runtime& runtime() { return runtime_; }
  api::EventHub& hub() { return hub_; }

 private:
  server::Runtime runtime_;
  server::Downstream scheduling_channel_;
  store::SchedulingPeer scheduling_;
  store::AttendanceStore store_;
  api::EventHub hub_;
  api::AttendanceMetrics metrics_;
  api::ChangeRelay relay_;
  store::ChangeFeed changes_;
  api::AttendanceApi api_;
};

}  // namespace iop::attendance
