// The scheduling service assembled on the shared runtime; main() and the
// integration tests build it the same way.
#pragma once

#include "common/runtime.h"
#include "scheduling/api/scheduling_api.h"
#include "scheduling/store/directory_store.h"
#include "scheduling/store/schedule_store.h"

namespace iop::migrations {
std::vector<Migration> scheduling_migrations();
}

namespace iop::scheduling {

inline const config::ServiceDefaults kDefaults{"scheduling", 50051, 9101};

class SchedulingApp {
 public:
  explicit SchedulingApp(const config::Config& config)
      : runtime_(config, migrations::scheduling_migrations(), "iop.scheduling.v1.SchedulingService"),
        directory_(runtime_.db(), runtime_.cache()),
        metrics_(runtime_.metrics().registry()),
        schedule_(runtime_.db(), runtime_.cache(), metrics_),
        api_(runtime_.runner(), directory_, schedule_, runtime_.audit()) {
    runtime_.host().AddService(&api_);
  }
  // Stop serving before the API and stores below it go away.
  ~SchedulingApp() { runtime_.Shutdown(); }
  server::Runtime& runtime() { return runtime_; }

 private:
  server::Runtime runtime_;
  store::DirectoryStore directory_;
  store::SchedulingMetrics metrics_;
  store::ScheduleStore schedule_;
  api::SchedulingApi api_;
};

}  // namespace iop::scheduling
