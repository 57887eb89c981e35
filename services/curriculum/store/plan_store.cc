#include "curriculum/store/plan_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"

namespace iop::curriculum::store {
namespace {

constexpr auto kPlanTtl = std::chrono::minutes(5);

const std::string kPlanCols =
    "p.session_id, p.org_id, p.group_id, p.track_id, p.lesson_id, p.module, p.sequence, p.cycle, " +
    sql::EpochMicros("p.planned_time") + ", p.local_date::text, (d.id IS NOT NULL), " +
    sql::EpochMicros("p.create_time");
const std::string kPlanFrom =
    " FROM session_plans p LEFT JOIN deliveries d ON d.org_id = p.org_id AND d.session_id = p.session_id ";
const std::string kDeliveryCols =
    "id, org_id, session_id, group_id, lesson_id, phases_completed::text, fidelity_notes, delivered_by, "
    "fidelity_score, recorded_by, " + sql::EpochMicros("create_time") + ", " + sql::EpochMicros("update_time");

v1::SessionPlan ReadPlan(const pqxx::row& r) {
  v1::SessionPlan p;
  p.set_session_id(r[0].c_str());
  p.set_org_id(r[1].c_str());
  p.set_group_id(r[2].c_str());
  p.set_track_id(r[3].c_str());
  p.set_lesson_id(r[4].c_str());
  p.set_module(r[5].c_str());
  p.set_sequence(r[6].as<int>());
  p.set_cycle(r[7].as<int>());
  *p.mutable_planned_time() = sql::TimestampFromMicros(r[8].as<int64_t>());
  p.set_local_date(r[9].c_str());
  p.set_delivered(r[10].as<bool>());
  *p.mutable_create_time() = sql::TimestampFromMicros(r[11].as<int64_t>());
  return p;
}

std::string IntArray(const google::protobuf::RepeatedField<int>& values) {
  std::string out = "{";
  for (int i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

v1::Delivery ReadDelivery(const pqxx::row& r) {
  v1::Delivery d;
  d.set_id(r[0].c_str());
  d.set_org_id(r[1].c_str());
  d.set_session_id(r[2].c_str());
  d.set_group_id(r[3].c_str());
  d.set_lesson_id(r[4].c_str());
  std::string phases = r[5].c_str();
  if (phases.size() > 2) {
    for (auto part : absl::StrSplit(phases.substr(1, phases.size() - 2), ',')) {
      int kind = 0;
      if (absl::SimpleAtoi(std::string(part), &kind)) d.add_phases_completed(static_cast<v1::PhaseKind>(kind));
    }
  }
  d.set_fidelity_notes(r[6].c_str());
  d.set_delivered_by(r[7].c_str());
  d.set_fidelity_score(r[8].as<double>());
  d.set_recorded_by(r[9].c_str());
  *d.mutable_create_time() = sql::TimestampFromMicros(r[10].as<int64_t>());
  *d.mutable_update_time() = sql::TimestampFromMicros(r[11].as<int64_t>());
  return d;
}

std::vector<std::string> Ids(const std::vector<std::string>& v) { return v; }

}  // namespace

PlanStore::PlanStore(db::Pool& pool, cache::Cache& cache) : pool_(pool), cache_(cache) { Prepare(); }

void PlanStore::Prepare() {
  pool_.Prepare("plan_last_before",
                "SELECT track_id, sequence, cycle FROM session_plans WHERE org_id=$1 AND group_id=$2"
                " AND local_date < $3::date ORDER BY planned_time DESC, session_id DESC LIMIT 1");
  pool_.Prepare("plan_of_sessions", "SELECT " + kPlanCols + kPlanFrom +
                                        "WHERE p.org_id=$1 AND p.session_id = ANY($2::text[])"
                                        " ORDER BY p.planned_time, p.session_id");
  pool_.Prepare("plan_get", "SELECT " + kPlanCols + kPlanFrom + "WHERE p.org_id=$1 AND p.session_id=$2");
  pool_.Prepare("delivered_of",
                "SELECT session_id FROM deliveries WHERE org_id=$1 AND session_id = ANY($2::text[])");
  pool_.Prepare("plan_delete_range",
                "DELETE FROM session_plans p WHERE p.org_id=$1 AND p.group_id=$2"
                " AND (p.local_date BETWEEN $3::date AND $4::date OR p.session_id = ANY($5::text[]))"
                " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id=p.org_id AND d.session_id=p.session_id)"
                " RETURNING p.session_id");
  pool_.Prepare("plan_upsert",
                "INSERT INTO session_plans (org_id, session_id, group_id, track_id, lesson_id, module,"
                " sequence, cycle, planned_time, local_date)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8, to_timestamp($9::double precision / 1e6), $10::date)"
                " ON CONFLICT (org_id, session_id) DO UPDATE SET group_id=EXCLUDED.group_id,"
                " track_id=EXCLUDED.track_id, lesson_id=EXCLUDED.lesson_id, module=EXCLUDED.module,"
                " sequence=EXCLUDED.sequence, cycle=EXCLUDED.cycle, planned_time=EXCLUDED.planned_time,"
                " local_date=EXCLUDED.local_date, create_time=now()"
                " WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id=session_plans.org_id"
                " AND d.session_id=session_plans.session_id)");
  // A delivered session keeps its lesson, but follows its session in time.
  pool_.Prepare("plan_move",
                "UPDATE session_plans SET planned_time=to_timestamp($3::double precision / 1e6),"
                " local_date=$4::date WHERE org_id=$1 AND session_id=$2");
  pool_.Prepare("delivery_upsert",
                "INSERT INTO deliveries (org_id, session_id, group_id, site_id, lesson_id, phases_completed,"
                " fidelity_notes, delivered_by, fidelity_score, recorded_by, session_start, local_date)"
                " VALUES ($1,$2,$3,$4,$5,$6::int[],$7,$8,$9,$10, to_timestamp($11::double precision / 1e6), $12::date)"
                " ON CONFLICT (org_id, session_id) DO UPDATE SET group_id=EXCLUDED.group_id,"
                " site_id=EXCLUDED.site_id, lesson_id=EXCLUDED.lesson_id,"
                " phases_completed=EXCLUDED.phases_completed, fidelity_notes=EXCLUDED.fidelity_notes,"
                " delivered_by=EXCLUDED.delivered_by, fidelity_score=EXCLUDED.fidelity_score,"
                " recorded_by=EXCLUDED.recorded_by, session_start=EXCLUDED.session_start,"
                " local_date=EXCLUDED.local_date, update_time=now()"
                " RETURNING " + kDeliveryCols);
  pool_.Prepare("teaching_of",
                "SELECT coalesce(p.session_id, d.session_id), p.lesson_id IS NOT NULL, coalesce(p.lesson_id, ''),"
                " d.lesson_id IS NOT NULL, coalesce(d.lesson_id, ''), " +
                    sql::EpochMicros("coalesce(p.planned_time, d.session_start)") +
                    ", coalesce(p.local_date, d.local_date)::text"
                    " FROM (SELECT * FROM session_plans WHERE org_id=$1) p"
                    " FULL JOIN (SELECT * FROM deliveries WHERE org_id=$1) d ON d.session_id = p.session_id"
                    " WHERE p.lesson_id = ANY($2::text[]) OR d.lesson_id = ANY($2::text[])");
}

std::optional<domain::Position> PlanStore::LastPlanBefore(const auth::Caller& caller, const std::string& group_id,
                                                          const std::string& start_date) {
  return pool_.Read([&](pqxx::work& tx) -> std::optional<domain::Position> {
    auto rows = tx.exec_prepared("plan_last_before", caller.org, group_id, start_date);
    if (rows.empty()) return std::nullopt;
    return domain::Position{rows[0][0].c_str(), rows[0][1].as<int>(), rows[0][2].as<int>()};
  }, "plan_last_before");
}

std::map<std::string, v1::SessionPlan> PlanStore::PlansOf(const auth::Caller& caller,
                                                          const std::vector<std::string>& session_ids) {
  std::map<std::string, v1::SessionPlan> out;
  if (session_ids.empty()) return out;
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("plan_of_sessions", caller.org, sql::TextArray(session_ids));
  }, "plan_of_sessions");
  for (const auto& r : rows) {
    v1::SessionPlan p = ReadPlan(r);
    out.emplace(p.session_id(), p);
  }
  return out;
}

std::set<std::string> PlanStore::DeliveredOf(const auth::Caller& caller, const std::vector<std::string>& session_ids) {
  std::set<std::string> out;
  if (session_ids.empty()) return out;
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("delivered_of", caller.org, sql::TextArray(session_ids));
  }, "delivered_of");
  for (const auto& r : rows) out.insert(r[0].c_str());
  return out;
}

v1::PlanSessionsResponse PlanStore::ReplacePlans(const auth::Caller& caller, const std::string& group_id,
                                                 const std::string& start_date, const std::string& end_date,
                                                 const std::vector<v1::SessionPlan>& fresh,
                                                 const std::vector<std::string>& range_sessions,
                                                 const WriteKey& key) {
  std::vector<std::string> touched;
  return idempotency::WriteOnce<v1::PlanSessionsResponse>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        touched = Ids(range_sessions);
        for (const auto& r : tx.exec_prepared("plan_delete_range", caller.org, group_id, start_date, end_date,
                                              sql::TextArray(range_sessions))) {
          touched.push_back(r[0].c_str());
        }
        for (const auto& p : fresh) {
          const int64_t micros = sql::MicrosFromTimestamp(p.planned_time());
          if (p.delivered()) {
            tx.exec_prepared("plan_move", caller.org, p.session_id(), micros, p.local_date());
            continue;
          }
          tx.exec_prepared("plan_upsert", caller.org, p.session_id(), group_id, p.track_id(), p.lesson_id(),
                           p.module(), p.sequence(), p.cycle(), micros, p.local_date());
        }
        v1::PlanSessionsResponse resp;
        for (const auto& r : tx.exec_prepared("plan_of_sessions", caller.org, sql::TextArray(range_sessions))) {
          *resp.add_plans() = ReadPlan(r);
        }
        return resp;
      },
      {.invalidate = [&](const v1::PlanSessionsResponse&) {
        std::vector<cache::Key> keys;
        for (const auto& id : touched) keys.emplace_back(caller.org, "plan", id);
        cache_.Invalidate(keys);
      }});
}

v1::SessionPlan PlanStore::GetPlan(const auth::Caller& caller, const std::string& session_id) {
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "plan", session_id), kPlanTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto rows = tx.exec_prepared("plan_get", caller.org, session_id);
          if (rows.empty()) return std::nullopt;
          return ReadPlan(rows[0]).SerializeAsString();
        }, "plan_get");
      },
      "plan");
  v1::SessionPlan out;
  if (!bytes || !out.ParseFromString(*bytes)) {
    errors::Throw(errors::NotFound("iop.curriculum.v1.SessionPlan", session_id));
  }
  return out;
}

v1::Delivery PlanStore::RecordDelivery(const auth::Caller& caller, const v1::Delivery& d,
                                       const DeliveryFacts& facts, const WriteKey& key) {
  return idempotency::WriteOnce<v1::Delivery>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        return ReadDelivery(tx.exec_prepared1(
            "delivery_upsert", caller.org, d.session_id(), facts.group_id, facts.site_id, d.lesson_id(),
            IntArray(d.phases_completed()), d.fidelity_notes(), d.delivered_by(), facts.fidelity_score,
            caller.subject, facts.session_start_micros, facts.local_date));
      },
      {.invalidate = [&](const v1::Delivery&) {
        cache_.Invalidate({cache::Key(caller.org, "plan", d.session_id())});
      }});
}

Teaching PlanStore::TeachingOf(const auth::Caller& caller, const std::vector<std::string>& lesson_ids) {
  Teaching out;
  if (lesson_ids.empty()) return out;
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("teaching_of", caller.org, sql::TextArray(lesson_ids));
  }, "teaching_of");
  for (const auto& r : rows) {
    domain::SessionTeaching s;
    s.session_id = r[0].c_str();
    if (r[1].as<bool>()) s.planned_lesson_id = r[2].c_str();
    if (r[3].as<bool>()) s.delivered_lesson_id = r[4].c_str();
    s.start_micros = r[5].as<int64_t>();
    out.sessions.push_back(std::move(s));
    const std::string date = r[6].c_str();
    if (out.first_date.empty() || date < out.first_date) out.first_date = date;
    if (out.last_date.empty() || date > out.last_date) out.last_date = date;
  }
  return out;
}

}  // namespace iop::curriculum::store
