#include "outcomes/store/assessment_store.h"

#include "common/errors.h"
#include "common/idempotent.h"
#include "common/paging.h"
#include "common/sql.h"

namespace iop::outcomes::store {
namespace {

constexpr auto kSeriesTtl = std::chrono::minutes(5);

const std::string kAssessmentCols =
    "id, org_id, client_id, site_id, instrument_code, answers::text, total_score, severity, acute, "
    "critical_items::text, " + sql::EpochMicros("administered_at") + ", session_id, risk_alert_ids, "
    "submitted_by, " + sql::EpochMicros("create_time");

// Open first, then severity (high first), then age: packed into one bigint
// so keyset pagination can follow the list order.
const std::string kAlertSortKey =
    "((((CASE WHEN acknowledge_time IS NULL THEN 0 ELSE 4 END) + (3 - severity))::bigint << 56) | seq)";
const std::string kAlertCols =
    "id, org_id, client_id, site_id, assessment_id, instrument_code, item_number, severity, reason, " +
    sql::EpochMicros("open_time") + ", coalesce(acknowledged_by, ''), coalesce(" +
    sql::EpochMicros("acknowledge_time") + ", 0), note, " + kAlertSortKey;

std::string IntArray(const google::protobuf::RepeatedField<int32_t>& values) {
  std::string out = "{";
  for (int i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

v1::Assessment ReadAssessment(const pqxx::row& r) {
  v1::Assessment a;
  a.set_id(r[0].c_str());
  a.set_org_id(r[1].c_str());
  a.set_client_id(r[2].c_str());
  a.set_site_id(r[3].c_str());
  a.set_instrument_code(r[4].c_str());
  for (const auto& v : sql::ParseTextArray(r[5].c_str())) a.add_answers(std::stoi(v));
  a.set_total_score(r[6].as<double>());
  a.set_severity(r[7].c_str());
  a.set_acute(r[8].as<bool>());
  for (const auto& v : sql::ParseTextArray(r[9].c_str())) a.add_critical_items(std::stoi(v));
  *a.mutable_administered_at() = sql::TimestampFromMicros(r[10].as<int64_t>());
  a.set_session_id(r[11].c_str());
  for (const auto& id : sql::ParseTextArray(r[12].c_str())) a.add_risk_alert_ids(id);
  a.set_submitted_by(r[13].c_str());
  *a.mutable_create_time() = sql::TimestampFromMicros(r[14].as<int64_t>());
  return a;
}

v1::RiskAlert ReadAlert(const pqxx::row& r) {
  v1::RiskAlert a;
  a.set_id(r[0].c_str());
  a.set_org_id(r[1].c_str());
  a.set_client_id(r[2].c_str());
  a.set_site_id(r[3].c_str());
  a.set_assessment_id(r[4].c_str());
  a.set_instrument_code(r[5].c_str());
  a.set_item_number(r[6].as<int>());
  a.set_severity(static_cast<v1::RiskSeverity>(r[7].as<int>()));
  a.set_reason(r[8].c_str());
  *a.mutable_open_time() = sql::TimestampFromMicros(r[9].as<int64_t>());
  a.set_acknowledged_by(r[10].c_str());
  const bool acknowledged = !a.acknowledged_by().empty();
  a.set_state(acknowledged ? v1::RISK_ALERT_STATE_ACKNOWLEDGED : v1::RISK_ALERT_STATE_OPEN);
  if (acknowledged) *a.mutable_acknowledge_time() = sql::TimestampFromMicros(r[11].as<int64_t>());
  a.set_note(r[12].c_str());
  return a;
}

std::string SiteLimit(const auth::Caller& caller) { return sql::TextArray(caller.sites); }

cache::Key SeriesKey(const auth::Caller& caller, const std::string& client_id, const std::string& code) {
  return cache::Key(caller.org, "series", client_id + "|" + code);
}

}  // namespace

AssessmentStore::AssessmentStore(db::Pool& pool, cache::Cache& cache) : pool_(pool), cache_(cache) {
  pool_.Prepare("assessment_insert",
                "INSERT INTO assessments (org_id, client_id, site_id, instrument_code, answers, total_score, "
                "severity, acute, critical_items, administered_at, session_id, submitted_by) "
                "VALUES ($1,$2,$3,$4,$5::integer[],$6,$7,$8,$9::integer[],to_timestamp($10::double precision / 1e6),"
                "$11,$12) RETURNING id");
  pool_.Prepare("assessment_set_alerts",
                "UPDATE assessments SET risk_alert_ids=$3::text[] WHERE org_id=$1 AND id=$2 RETURNING " +
                    kAssessmentCols);
  pool_.Prepare("assessment_get", "SELECT " + kAssessmentCols + " FROM assessments WHERE org_id=$1 AND id=$2"
                                  " AND ($3::text[] = '{}' OR site_id = ANY($3::text[]))");
  pool_.Prepare("assessment_series",
                "SELECT id, " + sql::EpochMicros("administered_at") + ", total_score, severity FROM assessments "
                "WHERE org_id=$1 AND client_id=$2 AND instrument_code=$3 ORDER BY administered_at, id");
  pool_.Prepare("assessment_cohort",
                "SELECT client_id, total_score FROM assessments WHERE org_id=$1 AND client_id = ANY($2::text[]) "
                "AND instrument_code=$3 AND administered_at >= to_timestamp($4::double precision / 1e6) "
                "AND administered_at < to_timestamp($5::double precision / 1e6) "
                "ORDER BY client_id, administered_at, id");
  pool_.Prepare("assessment_latest",
                "SELECT DISTINCT ON (instrument_code) id, instrument_code, total_score, severity, acute "
                "FROM assessments WHERE org_id=$1 AND client_id=$2 "
                "ORDER BY instrument_code, administered_at DESC, id DESC");
  pool_.Prepare("alert_insert",
                "INSERT INTO risk_alerts (org_id, client_id, site_id, assessment_id, instrument_code, item_number, "
                "severity, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id");
  pool_.Prepare("alert_list",
                "SELECT " + kAlertCols + " FROM risk_alerts WHERE org_id=$1 AND " + kAlertSortKey + " > $2"
                " AND ($3::text[] = '{}' OR site_id = ANY($3::text[])) AND ($4 = '' OR client_id=$4)"
                " AND ($5 = '' OR site_id=$5) AND ($6 = 0 OR ($6 = 1) = (acknowledge_time IS NULL))"
                " AND ($7 = 0 OR severity=$7) ORDER BY " + kAlertSortKey + " LIMIT $8");
  pool_.Prepare("alert_lock", "SELECT site_id FROM risk_alerts WHERE org_id=$1 AND id=$2 FOR UPDATE");
  pool_.Prepare("alert_ack",
                "UPDATE risk_alerts SET acknowledged_by=$3, acknowledge_time=now(), note=$4 "
                "WHERE org_id=$1 AND id=$2 AND acknowledge_time IS NULL");
  pool_.Prepare("alert_get", "SELECT " + kAlertCols + " FROM risk_alerts WHERE org_id=$1 AND id=$2");
  pool_.Prepare("alert_open_of_client",
                "SELECT " + kAlertCols + " FROM risk_alerts WHERE org_id=$1 AND client_id=$2 "
                "AND acknowledge_time IS NULL AND ($3 = 0 OR severity=$3) ORDER BY " + kAlertSortKey);
  pool_.Prepare("alert_count_open", "SELECT count(*) FROM risk_alerts WHERE acknowledge_time IS NULL");
}

v1::Assessment AssessmentStore::Submit(const auth::Caller& caller, const v1::Assessment& a,
                                       const std::vector<NewAlert>& alerts, const WriteKey& key,
                                       const std::function<void(const v1::Assessment&)>& on_stored) {
  return idempotency::WriteOnce<v1::Assessment>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        const std::string id =
            tx.exec_prepared1("assessment_insert", caller.org, a.client_id(), a.site_id(), a.instrument_code(),
                              IntArray(a.answers()), a.total_score(), a.severity(), a.acute(),
                              IntArray(a.critical_items()), sql::MicrosFromTimestamp(a.administered_at()),
                              a.session_id(), a.submitted_by())[0]
                .c_str();
        std::vector<std::string> alert_ids;
        for (const auto& alert : alerts) {
          alert_ids.push_back(tx.exec_prepared1("alert_insert", caller.org, a.client_id(), a.site_id(), id,
                                                a.instrument_code(), alert.item_number,
                                                static_cast<int>(alert.severity), alert.reason)[0]
                                  .c_str());
        }
        return ReadAssessment(
            tx.exec_prepared1("assessment_set_alerts", caller.org, id, sql::TextArray(alert_ids)));
      },
      {.invalidate =
           [&](const v1::Assessment& stored) {
             cache_.Invalidate({SeriesKey(caller, stored.client_id(), stored.instrument_code())});
           },
       .announce =
           [&](const v1::Assessment& stored) {
             if (on_stored) on_stored(stored);
           }});
}

v1::Assessment AssessmentStore::Get(const auth::Caller& caller, const std::string& id) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("assessment_get", caller.org, id, SiteLimit(caller));
  }, "assessment_get");
  if (rows.empty()) errors::Throw(errors::NotFound("iop.outcomes.v1.Assessment", id));
  return ReadAssessment(rows[0]);
}

std::vector<v1::ProgressPoint> AssessmentStore::Series(const auth::Caller& caller, const std::string& client_id,
                                                       const std::string& code) {
  auto bytes = cache_.GetOrLoad(
      SeriesKey(caller, client_id, code), kSeriesTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          v1::GetClientProgressResponse series;
          for (const auto& r : tx.exec_prepared("assessment_series", caller.org, client_id, code)) {
            auto* p = series.add_points();
            p->set_assessment_id(r[0].c_str());
            *p->mutable_administered_at() = sql::TimestampFromMicros(r[1].as<int64_t>());
            p->set_score(r[2].as<double>());
            p->set_severity(r[3].c_str());
          }
          return series.SerializeAsString();
        }, "assessment_series");
      },
      "series");
  v1::GetClientProgressResponse series;
  if (bytes) series.ParseFromString(*bytes);
  return {series.points().begin(), series.points().end()};
}

std::map<std::string, std::vector<double>> AssessmentStore::SeriesOf(const auth::Caller& caller,
                                                                     const std::vector<std::string>& client_ids,
                                                                     const std::string& code, absl::Time from,
                                                                     absl::Time to) {
  std::map<std::string, std::vector<double>> out;
  if (client_ids.empty()) return out;
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("assessment_cohort", caller.org, sql::TextArray(client_ids), code,
                            absl::ToUnixMicros(from), absl::ToUnixMicros(to));
  }, "assessment_cohort");
  for (const auto& r : rows) out[r[0].c_str()].push_back(r[1].as<double>());
  return out;
}

std::vector<LatestScore> AssessmentStore::LatestPerInstrument(const auth::Caller& caller,
                                                              const std::string& client_id) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("assessment_latest", caller.org, client_id);
  }, "assessment_latest");
  std::vector<LatestScore> out;
  for (const auto& r : rows) {
    out.push_back({r[0].c_str(), r[1].c_str(), r[3].c_str(), r[2].as<double>(), r[4].as<bool>()});
  }
  return out;
}

Listed<v1::RiskAlert> AssessmentStore::ListAlerts(const auth::Caller& caller, const v1::ListRiskAlertsRequest& req) {
  const std::string filters = "alerts|" + req.client_id() + "|" + req.site_id() + "|" +
                              std::to_string(req.state()) + "|" + std::to_string(req.severity());
  paging::Page page = paging::Parse(req.page_size(), req.page_token(), filters);
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("alert_list", caller.org, page.after, SiteLimit(caller), req.client_id(),
                            req.site_id(), static_cast<int>(req.state()), static_cast<int>(req.severity()),
                            page.size + 1);
  }, "alert_list");
  Listed<v1::RiskAlert> out;
  const size_t n = std::min<size_t>(rows.size(), page.size);
  for (size_t i = 0; i < n; ++i) out.items.push_back(ReadAlert(rows[i]));
  if (rows.size() > n && n > 0) out.next_page_token = paging::NextToken(rows[n - 1][13].as<int64_t>(), filters);
  return out;
}

v1::RiskAlert AssessmentStore::Acknowledge(const auth::Caller& caller, const std::string& id,
                                           const std::string& note, const WriteKey& key) {
  return idempotency::WriteOnce<v1::RiskAlert>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        auto locked = tx.exec_prepared("alert_lock", caller.org, id);
        if (locked.empty() || !caller.SeesSite(locked[0][0].c_str()) ||
            (caller.site_limited() && locked[0][0].is_null())) {
          errors::Throw(errors::NotFound("iop.outcomes.v1.RiskAlert", id));
        }
        // Only an open alert changes; an acknowledged one keeps its first acknowledgement.
        tx.exec_prepared("alert_ack", caller.org, id, caller.subject, note);
        return ReadAlert(tx.exec_prepared1("alert_get", caller.org, id));
      });
}

std::vector<v1::RiskAlert> AssessmentStore::OpenAlerts(const auth::Caller& caller, const std::string& client_id,
                                                       v1::RiskSeverity severity) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("alert_open_of_client", caller.org, client_id, static_cast<int>(severity));
  }, "alert_open_of_client");
  std::vector<v1::RiskAlert> out;
  for (const auto& r : rows) out.push_back(ReadAlert(r));
  return out;
}

int64_t AssessmentStore::CountOpenAlerts() {
  return pool_.Read([&](pqxx::work& tx) { return tx.exec_prepared1("alert_count_open")[0].as<int64_t>(); },
                    "alert_count_open");
}

}  // namespace iop::outcomes::store
