// Assessments and risk alerts in PostgreSQL. Every method scopes by the
// caller's org and, for site-limited callers, by the client's home site
// stored on each row; rows out of scope answer NOT_FOUND like missing ones.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/auth.h"
#include "common/cache.h"
#include "common/db.h"
#include "iop/outcomes/v1/outcomes.pb.h"
#include "outcomes/store/instrument_store.h"

namespace iop::outcomes::store {

struct NewAlert {
  int item_number = 0;
  v1::RiskSeverity severity = v1::RISK_SEVERITY_UNSPECIFIED;
  std::string reason;
};

template <class T>
struct Listed {
  std::vector<T> items;
  std::string next_page_token;
};

// What readiness needs of a client's latest assessment per instrument.
struct LatestScore {
  std::string assessment_id, instrument_code, severity;
  double total_score = 0;
  bool acute = false;
};

class AssessmentStore {
 public:
  AssessmentStore(db::Pool& pool, cache::Cache& cache);

  // Stores the scored assessment (output-only fields but id, create_time and
  // risk_alert_ids already set) and opens one alert per entry, in one
  // transaction, once per request_id.
  // `on_stored` runs after commit, only when this call stored it (not on a replay).
  v1::Assessment Submit(const auth::Caller& caller, const v1::Assessment& scored,
                        const std::vector<NewAlert>& alerts, const WriteKey& key,
                        const std::function<void(const v1::Assessment&)>& on_stored = nullptr);
  v1::Assessment Get(const auth::Caller& caller, const std::string& id);

  // Scores of one client on one instrument by administered_at, then id
  // (cached; a submit invalidates).
  std::vector<v1::ProgressPoint> Series(const auth::Caller& caller, const std::string& client_id,
                                        const std::string& instrument_code);
  // Per client, scores administered in [from, to), in time order.
  std::map<std::string, std::vector<double>> SeriesOf(const auth::Caller& caller,
                                                      const std::vector<std::string>& client_ids,
                                                      const std::string& instrument_code,
                                                      absl::Time from, absl::Time to);
  // The latest assessment of the client on every instrument it took.
  std::vector<LatestScore> LatestPerInstrument(const auth::Caller& caller, const std::string& client_id);

  Listed<v1::RiskAlert> ListAlerts(const auth::Caller& caller, const v1::ListRiskAlertsRequest& req);
  v1::RiskAlert Acknowledge(const auth::Caller& caller, const std::string& id, const std::string& note,
                            const WriteKey& key);
  std::vector<v1::RiskAlert> OpenAlerts(const auth::Caller& caller, const std::string& client_id,
                                        v1::RiskSeverity severity);
  // Open alerts of every org: the gauge's reading.
  int64_t CountOpenAlerts();

 private:
  db::Pool& pool_;
  cache::Cache& cache_;
};

}  // namespace iop::outcomes::store
