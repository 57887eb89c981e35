// CheckIn's usual case in one statement. A front desk checks in clients who
// have no record yet for the session, each call with its request_id. The
// general path (AttendanceStore::CheckIn through idempotency::WriteOnce)
// spends five round trips on that: BEGIN, the claim, the record, the answer
// with the audit event, COMMIT. Here the record's id and times are chosen
// before the statement runs, so the answer is known in advance and the claim
// is stored already answered, in one statement with the record and the audit
// event (idempotency::WriteAnswered): BEGIN, that statement, COMMIT.
// Anything unusual (the client has a record, the request_id was seen) writes
// nothing here and goes on to the general path, which replays, refuses or
// updates as before.
#include "absl/time/time.h"
#include "attendance/store/attendance_store.h"
#include "common/audit.h"
#include "common/idempotency.h"
#include "common/idempotent.h"
#include "common/ids.h"
#include "common/sql.h"

namespace iop::attendance::store {
namespace {

constexpr const char* kStatement = "att_checkin_first";

}  // namespace

void AttendanceStore::PrepareCheckInFirst() {
  // Every part runs once whatever the others did; the counts say whether the
  // record and the claim were both new.
  const std::string now = sql::MicrosParam(14);
  pool_.Prepare(
      kStatement,
      "WITH rec AS (INSERT INTO attendance_records (id, org_id, session_id, client_id, group_id,"
      " site_id, program_id, local_date, session_start, session_end, time_zone, status,"
      " minutes_attended, note, mood_rating, check_in_time, recorded_by, create_time, update_time)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, " + sql::MicrosParam(9) + ", " +
          sql::MicrosParam(10) + ", $11, $12, 0, '', NULLIF($13, -1), " + now + ", $15, " + now + ", " +
          now + ")"
      " ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING 1),"
      " claim AS (" + idempotency::InsertAnsweredSql(16) + " RETURNING 1),"
      " event AS (" + audit::InsertEventSql(21) + ")"
      " SELECT (SELECT count(*) FROM rec), (SELECT count(*) FROM claim)");
}

std::optional<v1::AttendanceRecord> AttendanceStore::CheckInFirst(const auth::Caller& caller,
                                                                  const SessionContext& s,
                                                                  const std::string& client_id,
                                                                  std::optional<int> mood, absl::Time now,
                                                                  const WriteKey& key) {
  // With program rules to store first, the general path does what this one does not.
  if (!RulesKnown(caller, s)) return std::nullopt;
  // The record exactly as the general path would read it back after its
  // INSERT: a replay must answer the same whichever path stored it.
  const std::int64_t at = absl::ToUnixMicros(now);
  v1::AttendanceRecord m;
  m.set_id(ids::NewUuid());
  m.set_org_id(caller.org);
  m.set_session_id(s.session_id);
  m.set_client_id(client_id);
  m.set_group_id(s.group_id);
  m.set_site_id(s.site_id);
  m.set_program_id(s.program_id);
  m.set_local_date(domain::FormatDay(s.local_date));
  m.set_status(v1::ATTENDANCE_STATUS_PRESENT);
  if (mood) m.set_mood_rating(*mood);
  *m.mutable_check_in_time() = sql::TimestampFromMicros(at);
  m.set_recorded_by(caller.subject);
  m.set_version(1);
  *m.mutable_update_time() = sql::TimestampFromMicros(at);
  *m.mutable_create_time() = sql::TimestampFromMicros(at);
  const bool written = idempotency::WriteAnswered(
      pool_, caller, key.method, key.request, key.request_id, m,
      [&](pqxx::work& tx, const idempotency::AnsweredKey& k, const audit::AuditEvent& e) {
        const pqxx::row wrote = tx.exec_prepared1(
            kStatement, m.id(), caller.org, s.session_id, client_id, s.group_id, s.site_id, s.program_id,
            m.local_date(), absl::ToUnixMicros(s.start), absl::ToUnixMicros(s.end), s.time_zone,
            static_cast<int>(m.status()), mood ? *mood : -1, at, caller.subject, k.org, k.method,
            k.request_id, k.fingerprint, pqxx::binarystring(k.response), e.org, e.subject,
            sql::TextArray(e.roles), e.method, sql::TextArray(e.resource_ids), e.outcome, e.detail);
        return wrote[0].as<int>() == 1 && wrote[1].as<int>() == 1;
      });
  if (!written) return std::nullopt;
  return m;
}

}  // namespace iop::attendance::store
