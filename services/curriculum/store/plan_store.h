// Session plans and deliveries. Plans are keyed by session id, which
// scheduling keeps stable across reschedules, so a moved session keeps its
// plan. Every method scopes by the caller's org; site scoping of sessions
// is done by scheduling, which the API asks before reaching here.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/cache.h"
#include "common/db.h"
#include "curriculum/domain/coverage.h"
#include "curriculum/domain/planning.h"
#include "curriculum/store/library_store.h"
#include "iop/curriculum/v1/curriculum.pb.h"

namespace iop::curriculum::store {

// Everything RecordDelivery stores besides what the request says.
struct DeliveryFacts {
  std::string group_id;
  std::string site_id;
  int64_t session_start_micros = 0;
  std::string local_date;
  double fidelity_score = 0;
};

// Sessions where some lesson of interest was planned or delivered, and the
// dates they span.
struct Teaching {
  std::vector<domain::SessionTeaching> sessions;
  std::string first_date;  // empty when there are none
  std::string last_date;
};

class PlanStore {
 public:
  PlanStore(db::Pool& pool, cache::Cache& cache);

  // The group's last plan on a date before `start_date`, if any.
  std::optional<domain::Position> LastPlanBefore(const auth::Caller& caller, const std::string& group_id,
                                                 const std::string& start_date);
  // Existing plans of these sessions (delivered flag set), by session id.
  std::map<std::string, v1::SessionPlan> PlansOf(const auth::Caller& caller, const std::vector<std::string>& session_ids);
  // The sessions among these with a recorded delivery.
  std::set<std::string> DeliveredOf(const auth::Caller& caller, const std::vector<std::string>& session_ids);

  // Replaces the group's undelivered plans dated in [start_date, end_date]
  // or for any of `range_sessions` with `fresh` (delivered sessions are
  // never touched, even if one was delivered meanwhile); returns the plans
  // of `range_sessions` by start time.
  v1::PlanSessionsResponse ReplacePlans(const auth::Caller& caller, const std::string& group_id,
                                        const std::string& start_date, const std::string& end_date,
                                        const std::vector<v1::SessionPlan>& fresh,
                                        const std::vector<std::string>& range_sessions, const WriteKey& key);

  // NOT_FOUND when the session has no plan.
  v1::SessionPlan GetPlan(const auth::Caller& caller, const std::string& session_id);

  // Inserts or replaces the session's delivery (same id on replace).
  v1::Delivery RecordDelivery(const auth::Caller& caller, const v1::Delivery& delivery,
                              const DeliveryFacts& facts, const WriteKey& key);

  Teaching TeachingOf(const auth::Caller& caller, const std::vector<std::string>& lesson_ids);

 private:
  void Prepare();
  db::Pool& pool_;
  cache::Cache& cache_;
};

}  // namespace iop::curriculum::store
