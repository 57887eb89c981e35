// The curriculum service assembled on the shared runtime; main() and the
// integration tests build it the same way.
#pragma once

#include "common/runtime.h"
#include "curriculum/api/curriculum_api.h"
#include "curriculum/api/peers.h"
#include "curriculum/store/library_store.h"
#include "curriculum/store/plan_store.h"

namespace iop::migrations {
std::vector<Migration> curriculum_migrations();
}

namespace iop::curriculum {

inline const config::ServiceDefaults kDefaults{"curriculum", 50053, 9103};

class CurriculumApp {
 public:
  explicit CurriculumApp(const config::Config& config)
      : runtime_(config, migrations::curriculum_migrations(), "iop.curriculum.v1.CurriculumService"),
        library_(runtime_.db(), runtime_.cache()),
        plans_(runtime_.db(), runtime_.cache()),
        peers_(config),
        api_(runtime_.runner(), library_, plans_, peers_, runtime_.audit()) {
    runtime_.host().AddService(&api_);
  }
  // Stop serving before the API and stores below it go away.
  ~CurriculumApp() { runtime_.Shutdown(); }
  server::Runtime& runtime() { return runtime_; }

 private:
  server::Runtime runtime_;
  store::LibraryStore library_;
  store::PlanStore plans_;
  api::Peers peers_;
  api::CurriculumApi api_;
};

}  // namespace iop::curriculum
