#include "attendance/store/attendance_store.h"

#include <algorithm>
#include <numeric>

#include "absl/time/clock.h"
#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"

namespace iop::attendance::store {
namespace {

using domain::Status;

// Timestamps travel as microseconds since the epoch; -1 means NULL.
std::string Ts(int n) {
  std::string p = "$" + std::to_string(n) + "::bigint";
  return "(CASE WHEN " + p + " < 0 THEN NULL ELSE " + sql::MicrosParam(n) + " END)";
}

const std::string kCols =
    "r.id, r.org_id, r.session_id, r.client_id, r.group_id, r.site_id, r.program_id, "
    "r.local_date::text, r.status, r.minutes_attended, r.note, r.mood_rating, " +
    sql::EpochMicros("r.check_in_time") + ", " + sql::EpochMicros("r.check_out_time") +
    ", r.recorded_by, r.version, " + sql::EpochMicros("r.update_time") + ", " +
    sql::EpochMicros("r.create_time") + ", " + sql::EpochMicros("r.session_start") + ", " +
    sql::EpochMicros("r.session_end") + ", r.time_zone";
// A version row laid out like kCols (record context + that version's values).
const std::string kVersionCols =
    "r.id, r.org_id, r.session_id, r.client_id, r.group_id, r.site_id, r.program_id, "
    "r.local_date::text, v.status, v.minutes_attended, v.note, v.mood_rating, " +
    sql::EpochMicros("v.check_in_time") + ", " + sql::EpochMicros("v.check_out_time") +
    ", v.recorded_by, v.version, " + sql::EpochMicros("v.update_time") + ", " +
    sql::EpochMicros("r.create_time") + ", " + sql::EpochMicros("r.session_start") + ", " +
    sql::EpochMicros("r.session_end") + ", r.time_zone";

Stored ReadStored(const pqxx::row& r) {
  Stored s;
  v1::AttendanceRecord& m = s.record;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_session_id(r[2].c_str());
  m.set_client_id(r[3].c_str());
  m.set_group_id(r[4].c_str());
  m.set_site_id(r[5].c_str());
  m.set_program_id(r[6].c_str());
  m.set_local_date(r[7].c_str());
  m.set_status(static_cast<v1::AttendanceStatus>(r[8].as<int>()));
  m.set_minutes_attended(r[9].as<int>());
  m.set_note(r[10].c_str());
  if (!r[11].is_null()) m.set_mood_rating(r[11].as<int>());
  if (!r[12].is_null()) *m.mutable_check_in_time() = sql::TimestampFromMicros(r[12].as<int64_t>());
  if (!r[13].is_null()) *m.mutable_check_out_time() = sql::TimestampFromMicros(r[13].as<int64_t>());
  m.set_recorded_by(r[14].c_str());
  m.set_version(r[15].as<int64_t>());
  *m.mutable_update_time() = sql::TimestampFromMicros(r[16].as<int64_t>());
  *m.mutable_create_time() = sql::TimestampFromMicros(r[17].as<int64_t>());
  s.session_start = sql::TimeFromMicros(r[18].as<int64_t>());
  s.session_end = sql::TimeFromMicros(r[19].as<int64_t>());
  s.time_zone = r[20].c_str();
  return s;
}

int64_t MicrosOr(bool has, const google::protobuf::Timestamp& ts) {
  return has ? sql::MicrosFromTimestamp(ts) : -1;
}

std::optional<absl::Time> TimeOf(bool has, const google::protobuf::Timestamp& ts) {
  if (!has) return std::nullopt;
  return sql::TimeFromMicros(sql::MicrosFromTimestamp(ts));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return sql::TimestampFromMicros(absl::ToUnixMicros(t));
}

std::string SiteLimit(const auth::Caller& caller) { return sql::TextArray(caller.sites); }

}  // namespace

domain::SessionFact FactOf(const Stored& stored) {
  const v1::AttendanceRecord& r = stored.record;
  domain::SessionFact f;
  f.session_id = r.session_id();
  f.group_id = r.group_id();
  f.program_id = r.program_id();
  f.site_id = r.site_id();
  domain::ParseDay(r.local_date(), &f.local_date);
  f.start = stored.session_start;
  f.end = stored.session_end;
  f.status = static_cast<Status>(r.status());
  f.minutes_attended = r.minutes_attended();
  return f;
}

// First check-ins (checkin_first.cc) are written one batch at a time: what
// arrives while a batch is written waits and goes in the next, and a
// database writes a batch of n for far less than n batches of one. Two
// batches in flight halved the batches and cost the database more per
// check-in than the overlap saved (docs/benchmarks.md). One connection
// leaves the pool's others to every other call.
constexpr int kFirstCheckInRunners = 1;
// A front desk's burst fits many times over; the cap bounds one statement.
constexpr std::size_t kFirstCheckInBatch = 64;

AttendanceStore::AttendanceStore(db::Pool& pool, GroupCommit<FirstCheckIn>::Executor answer_on)
    : pool_(pool),
      checkin_batch_size_(prometheus::BuildHistogram()
                              .Name("iop_attendance_checkin_batch_size")
                              .Help("First check-ins written together by one statement")
                              .Register(pool.registry())
                              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64})),
      first_checkins_(kFirstCheckInRunners, kFirstCheckInBatch,
                      [this](const std::vector<FirstCheckIn*>& batch) { WriteFirstCheckIns(batch); },
                      std::move(answer_on)) {
  Prepare();
}

void AttendanceStore::Prepare() {
  pool_.Prepare("att_lock", "SELECT " + kCols +
                                " FROM attendance_records r WHERE r.org_id=$1 AND r.session_id=$2"
                                " AND r.client_id=$3 FOR UPDATE");
  pool_.Prepare("att_insert",
                "INSERT INTO attendance_records AS r (org_id, session_id, client_id, group_id, site_id,"
                " program_id, local_date, session_start, session_end, time_zone, status,"
                " minutes_attended, note, mood_rating, check_in_time, check_out_time, recorded_by,"
                " create_time, update_time) VALUES ($1,$2,$3,$4,$5,$6,$7::date," + Ts(8) + "," + Ts(9) +
                    ",$10,$11,$12,$13,NULLIF($14,-1)," + Ts(15) + "," + Ts(16) + ",$17," + Ts(18) + "," +
                    Ts(18) + ") ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING " + kCols);
  pool_.Prepare("att_update",
                "UPDATE attendance_records AS r SET group_id=$3, site_id=$4, program_id=$5,"
                " local_date=$6::date, session_start=" + Ts(7) + ", session_end=" + Ts(8) +
                    ", time_zone=$9, status=$10, minutes_attended=$11, note=$12,"
                    " mood_rating=NULLIF($13,-1), check_in_time=" + Ts(14) + ", check_out_time=" + Ts(15) +
                    ", recorded_by=$16, version=r.version+1, update_time=" + Ts(17) +
                    " WHERE r.id=$1 AND r.org_id=$2 RETURNING " + kCols);
  // Every write refreshes the program's thresholds, but only touches (and
  // so locks) the row when they changed: concurrent check-ins of one
  // program must not queue behind each other on it.
  pool_.Prepare("att_rules_insert",
                "INSERT INTO program_rules (org_id, program_id, min_weekly_hours, daily_minimum_minutes,"
                " consecutive_absence_threshold, min_attendance_rate) VALUES ($1,$2,$3,$4,$5,$6)"
                " ON CONFLICT (org_id, program_id) DO NOTHING");
  pool_.Prepare("att_rules_update",
                "UPDATE program_rules SET min_weekly_hours=$3, daily_minimum_minutes=$4,"
                " consecutive_absence_threshold=$5, min_attendance_rate=$6, update_time=now()"
                " WHERE org_id=$1 AND program_id=$2 AND (min_weekly_hours, daily_minimum_minutes,"
                " consecutive_absence_threshold, min_attendance_rate) IS DISTINCT FROM"
                " ($3::double precision, $4::integer, $5::integer, $6::double precision)");
  pool_.Prepare("att_rules_get",
                "SELECT program_id, min_weekly_hours, daily_minimum_minutes,"
                " consecutive_absence_threshold, min_attendance_rate FROM program_rules"
                " WHERE org_id=$1 AND program_id = ANY($2::text[])");
  pool_.Prepare("att_by_session", "SELECT " + kCols +
                                      " FROM attendance_records r WHERE r.org_id=$1 AND r.session_id=$2"
                                      " AND ($3::text[] = '{}' OR r.site_id = ANY($3::text[]))"
                                      " ORDER BY r.client_id");
  pool_.Prepare("att_version", "SELECT " + kVersionCols +
                                   " FROM attendance_records r JOIN attendance_record_versions v"
                                   " ON v.record_id = r.id WHERE r.org_id=$1 AND r.id=$2"
                                   " AND v.version=$3");
  pool_.Prepare("att_history", "SELECT " + kVersionCols +
                                   " FROM attendance_records r JOIN attendance_record_versions v"
                                   " ON v.record_id = r.id WHERE r.org_id=$1 AND r.session_id=$2"
                                   " AND r.client_id=$3"
                                   " AND ($4::text[] = '{}' OR r.site_id = ANY($4::text[]))"
                                   " ORDER BY v.version");
  pool_.Prepare("att_range", "SELECT " + kCols +
                                 " FROM attendance_records r WHERE r.org_id=$1"
                                 " AND r.local_date BETWEEN $2::date AND $3::date"
                                 " AND ($4::text[] = '{}' OR r.site_id = ANY($4::text[]))"
                                 " AND ($5 = '' OR r.client_id=$5) AND ($6 = '' OR r.group_id=$6)"
                                 " AND ($7 = '' OR r.site_id=$7) AND ($8 = '' OR r.program_id=$8)"
                                 " ORDER BY r.session_start, r.session_id, r.client_id");
  PrepareCheckInFirst();
}

std::optional<v1::AttendanceRecord> AttendanceStore::Lock(pqxx::work& tx, const auth::Caller& caller,
                                                          const std::string& session_id,
                                                          const std::string& client_id) {
  auto rows = tx.exec_prepared("att_lock", caller.org, session_id, client_id);
  if (rows.empty()) return std::nullopt;
  return ReadStored(rows[0]).record;
}

std::optional<v1::AttendanceRecord> AttendanceStore::Insert(pqxx::work& tx, const auth::Caller& caller,
                                                            const SessionContext& s,
                                                            const std::string& client_id,
                                                            const v1::AttendanceRecord& m, absl::Time now) {
  auto rows = tx.exec_prepared(
      "att_insert", caller.org, s.session_id, client_id, s.group_id, s.site_id, s.program_id,
      domain::FormatDay(s.local_date), absl::ToUnixMicros(s.start), absl::ToUnixMicros(s.end),
      s.time_zone, static_cast<int>(m.status()), m.minutes_attended(), m.note(),
      m.has_mood_rating() ? m.mood_rating() : -1, MicrosOr(m.has_check_in_time(), m.check_in_time()),
      MicrosOr(m.has_check_out_time(), m.check_out_time()), caller.subject, absl::ToUnixMicros(now));
  if (rows.empty()) return std::nullopt;  // a concurrent call created it first
  return ReadStored(rows[0]).record;
}

v1::AttendanceRecord AttendanceStore::Update(pqxx::work& tx, const auth::Caller& caller,
                                             const SessionContext& s, const v1::AttendanceRecord& m,
                                             absl::Time now) {
  return ReadStored(tx.exec_prepared1(
                        "att_update", m.id(), caller.org, s.group_id, s.site_id, s.program_id,
                        domain::FormatDay(s.local_date), absl::ToUnixMicros(s.start),
                        absl::ToUnixMicros(s.end), s.time_zone, static_cast<int>(m.status()),
                        m.minutes_attended(), m.note(), m.has_mood_rating() ? m.mood_rating() : -1,
                        MicrosOr(m.has_check_in_time(), m.check_in_time()),
                        MicrosOr(m.has_check_out_time(), m.check_out_time()), caller.subject,
                        absl::ToUnixMicros(now)))
      .record;
}

std::pair<v1::AttendanceRecord, bool> AttendanceStore::Apply(pqxx::work& tx, const auth::Caller& caller,
                                                             const SessionContext& s,
                                                             const std::string& client_id, absl::Time now,
                                                             const Change& change, bool likely_new) {
  if (likely_new) {
    // Most check-ins create the record: try that first and save the lock's
    // round trip; a record that exists already takes the path below.
    if (auto fresh = change(std::nullopt)) {
      if (auto inserted = Insert(tx, caller, s, client_id, *fresh, now)) return {*inserted, true};
    }
  }
  auto current = Lock(tx, caller, s.session_id, client_id);
  auto next = change(current);
  if (!next) return {*current, false};
  if (!current) {
    if (auto inserted = Insert(tx, caller, s, client_id, *next, now)) return {*inserted, true};
    current = Lock(tx, caller, s.session_id, client_id);
    next = change(current);
    if (!next) return {*current, false};
  }
  next->set_id(current->id());
  return {Update(tx, caller, s, *next, now), true};
}

namespace {

bool SameRules(const domain::ProgramRules& a, const domain::ProgramRules& b) {
  return a.min_weekly_hours == b.min_weekly_hours && a.daily_minimum_minutes == b.daily_minimum_minutes &&
         a.consecutive_absence_threshold == b.consecutive_absence_threshold &&
         a.min_attendance_rate == b.min_attendance_rate;
}

}  // namespace

void AttendanceStore::RulesSaved(const auth::Caller& caller, const SessionContext& s) {
  std::lock_guard lock(rules_mu_);
  saved_rules_[{caller.org, s.program_id}] = s.rules;
}

bool AttendanceStore::RulesKnown(const auth::Caller& caller, const SessionContext& s) {
  std::lock_guard lock(rules_mu_);
  auto it = saved_rules_.find({caller.org, s.program_id});
  return it != saved_rules_.end() && SameRules(it->second, s.rules);
}

bool AttendanceStore::SaveRules(pqxx::work& tx, const auth::Caller& caller, const SessionContext& s) {
  if (RulesKnown(caller, s)) return false;
  for (const char* statement : {"att_rules_insert", "att_rules_update"}) {
    tx.exec_prepared(statement, caller.org, s.program_id, s.rules.min_weekly_hours,
                     s.rules.daily_minimum_minutes, s.rules.consecutive_absence_threshold,
                     s.rules.min_attendance_rate);
  }
  return true;
}

Written<v1::AttendanceRecord> AttendanceStore::CheckIn(const auth::Caller& caller,
                                                       const SessionContext& s,
                                                       const std::string& client_id,
                                                       std::optional<int> mood, absl::Time now,
                                                       const WriteKey& key) {
  if (auto first = CheckInFirst(caller, s, client_id, mood, now, key)) {
    Written<v1::AttendanceRecord> out;
    out.response = std::move(*first);
    out.fresh = true;
    out.changed = {true};
    return out;
  }
  return CheckInGeneral(caller, s, client_id, mood, now, key);
}

Written<v1::AttendanceRecord> AttendanceStore::CheckInGeneral(const auth::Caller& caller,
                                                              const SessionContext& s,
                                                              const std::string& client_id,
                                                              std::optional<int> mood, absl::Time now,
                                                              const WriteKey& key) {
  Written<v1::AttendanceRecord> out;
  bool changed = false;
  bool rules_written = false;
  out.response = idempotency::WriteOnce<v1::AttendanceRecord>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rules_written = SaveRules(tx, caller, s);
        auto [record, did] = Apply(tx, caller, s, client_id, now, [&](const auto& current)
                                       -> std::optional<v1::AttendanceRecord> {
          // A second check-in is refused rather than silently merged: a
          // retry of the first one carries its request_id and is replayed
          // by WriteOnce before reaching here.
          if (current && current->has_check_in_time()) {
            errors::Throw(errors::AlreadyExists(
                "iop.attendance.v1.AttendanceRecord", current->id(),
                "client " + client_id + " is already checked in to session " + s.session_id +
                    "; retry with the first request_id to get that answer again"));
          }
          v1::AttendanceRecord next = current.value_or(v1::AttendanceRecord{});
          next.set_status(v1::ATTENDANCE_STATUS_PRESENT);
          *next.mutable_check_in_time() = ToTimestamp(now);
          if (mood) next.set_mood_rating(*mood);
          return next;
        }, /*likely_new=*/true);
        changed = did;
        return record;
      },
      {.announce = [&](const v1::AttendanceRecord&) {
        out.fresh = true;
        if (rules_written) RulesSaved(caller, s);
      }});
  out.changed = {out.fresh && changed};
  return out;
}

Written<v1::AttendanceRecord> AttendanceStore::CheckOut(const auth::Caller& caller,
                                                        const SessionContext& s,
                                                        const std::string& client_id, absl::Time now,
                                                        const WriteKey& key) {
  Written<v1::AttendanceRecord> out;
  bool changed = false;
  out.response = idempotency::WriteOnce<v1::AttendanceRecord>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto [record, did] = Apply(tx, caller, s, client_id, now, [&](const auto& current)
                                       -> std::optional<v1::AttendanceRecord> {
          if (!current || !current->has_check_in_time()) {
            errors::Throw(errors::FailedPrecondition(
                "the client has not checked in to this session",
                {{"NOT_CHECKED_IN", "clients/" + client_id, "no check-in at session " + s.session_id}}));
          }
          if (current->has_check_out_time()) return std::nullopt;  // already checked out
          v1::AttendanceRecord next = *current;
          *next.mutable_check_out_time() = ToTimestamp(now);
          next.set_minutes_attended(domain::OverlapMinutes(
              *TimeOf(true, current->check_in_time()), now, s.start, s.end));
          return next;
        });
        changed = did;
        return record;
      },
      {.announce = [&](const v1::AttendanceRecord&) { out.fresh = true; }});
  out.changed = {out.fresh && changed};
  return out;
}

Written<v1::RecordAttendanceResponse> AttendanceStore::Record(
    const auth::Caller& caller, const SessionContext& s,
    const std::vector<v1::AttendanceEntry>& entries, const WriteKey& key) {
  // Rows are locked in client_id order so two forms for one session can
  // never deadlock; the response keeps the request's order.
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return entries[a].client_id() < entries[b].client_id(); });
  Written<v1::RecordAttendanceResponse> out;
  std::vector<bool> changed;
  bool rules_written = false;
  const absl::Time now = absl::Now();
  out.response = idempotency::WriteOnce<v1::RecordAttendanceResponse>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rules_written = SaveRules(tx, caller, s);
        std::vector<v1::AttendanceRecord> records(entries.size());
        changed.assign(entries.size(), false);
        for (size_t i : order) {
          const v1::AttendanceEntry& e = entries[i];
          auto [record, did] = Apply(tx, caller, s, e.client_id(), now, [&](const auto& current)
                                         -> std::optional<v1::AttendanceRecord> {
            v1::AttendanceRecord next = current.value_or(v1::AttendanceRecord{});
            const auto status = static_cast<Status>(e.status());
            int minutes = domain::ResolveMinutes(
                status, e.minutes_attended(), s.start, s.end,
                TimeOf(next.has_check_in_time(), next.check_in_time()),
                TimeOf(next.has_check_out_time(), next.check_out_time()));
            if (current && current->status() == e.status() &&
                current->minutes_attended() == minutes && current->note() == e.note()) {
              return std::nullopt;  // identical: no new version
            }
            next.set_status(e.status());
            next.set_minutes_attended(minutes);
            next.set_note(e.note());
            return next;
          });
          records[i] = std::move(record);
          changed[i] = did;
        }
        v1::RecordAttendanceResponse resp;
        for (auto& r : records) *resp.add_records() = std::move(r);
        return resp;
      },
      {.announce = [&](const v1::RecordAttendanceResponse&) {
        out.fresh = true;
        if (rules_written) RulesSaved(caller, s);
      }});
  out.changed = out.fresh ? changed : std::vector<bool>(entries.size(), false);
  return out;
}

std::vector<Stored> AttendanceStore::SessionRecords(const auth::Caller& caller,
                                                    const std::string& session_id) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("att_by_session", caller.org, session_id, SiteLimit(caller));
  }, "att_by_session");
  std::vector<Stored> out;
  for (const auto& r : rows) out.push_back(ReadStored(r));
  return out;
}

std::vector<v1::AttendanceRecord> AttendanceStore::History(const auth::Caller& caller,
                                                           const std::string& session_id,
                                                           const std::string& client_id) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("att_history", caller.org, session_id, client_id, SiteLimit(caller));
  }, "att_history");
  std::vector<v1::AttendanceRecord> out;
  for (const auto& r : rows) out.push_back(ReadStored(r).record);
  return out;
}

std::optional<v1::AttendanceRecord> AttendanceStore::Version(const std::string& org,
                                                             const std::string& record_id,
                                                             std::int64_t version) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("att_version", org, record_id, version);
  }, "att_version");
  if (rows.empty()) return std::nullopt;
  return ReadStored(rows[0]).record;
}

std::vector<Stored> AttendanceStore::Records(const auth::Caller& caller, const Filter& f,
                                             absl::CivilDay first, absl::CivilDay last) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("att_range", caller.org, domain::FormatDay(first), domain::FormatDay(last),
                            SiteLimit(caller), f.client_id, f.group_id, f.site_id, f.program_id);
  }, "att_range");
  std::vector<Stored> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(ReadStored(r));
  return out;
}

domain::RulesByProgram AttendanceStore::Rules(const auth::Caller& caller,
                                              const std::vector<std::string>& program_ids) {
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("att_rules_get", caller.org, sql::TextArray(program_ids));
  }, "att_rules_get");
  domain::RulesByProgram out;
  for (const auto& r : rows) {
    out[r[0].c_str()] = {.min_weekly_hours = r[1].as<double>(),
                         .daily_minimum_minutes = r[2].as<int>(),
                         .consecutive_absence_threshold = r[3].as<int>(),
                         .min_attendance_rate = r[4].as<double>()};
  }
  return out;
}

}  // namespace iop::attendance::store
