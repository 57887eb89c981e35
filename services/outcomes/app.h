// The outcomes service assembled on the shared runtime; main() and the
// integration tests build it the same way.
#pragma once

#include "common/downstream.h"
#include "common/periodic.h"
#include "common/runtime.h"
#include "outcomes/api/outcomes_api.h"
#include "outcomes/store/assessment_store.h"
#include "outcomes/store/instrument_store.h"

namespace iop::migrations {
std::vector<Migration> outcomes_migrations();
}

namespace iop::outcomes {

inline const config::ServiceDefaults kDefaults{"outcomes", 50054, 9104};

class OutcomesApp {
 public:
  explicit OutcomesApp(const config::Config& config)
      : runtime_(config, migrations::outcomes_migrations(), "iop.outcomes.v1.OutcomesService"),
        scheduling_("scheduling", config.scheduling_addr, config.tls),
        instruments_(runtime_.db(), runtime_.cache()),
        assessments_(runtime_.db(), runtime_.cache()),
        directory_(scheduling_, runtime_.cache()),
        metrics_(runtime_.metrics().registry(), [this] { return assessments_.CountOpenAlerts(); }),
        api_(runtime_.runner(), instruments_, assessments_, directory_, metrics_, runtime_.audit()),
        // Other replicas raise and acknowledge alerts too; without this the
        // gauge here would keep an old count until this replica changes one.
        open_alerts_refresh_(std::chrono::seconds(30), [this] { metrics_.RefreshOpenAlerts(); }) {
    metrics_.RefreshOpenAlerts();
    runtime_.host().AddService(&api_);
  }
  // Stop serving before the API and stores below it go away.
  ~OutcomesApp() { runtime_.Shutdown(); }
  server::Runtime& runtime() { return runtime_; }

 private:
  server::Runtime runtime_;
  server::Downstream scheduling_;
  store::InstrumentStore instruments_;
  store::AssessmentStore assessments_;
  api::SchedulingDirectory directory_;
  api::OutcomesMetrics metrics_;
  api::OutcomesApi api_;
  server::Periodic open_alerts_refresh_;  // last: stops first
};

}  // namespace iop::outcomes
