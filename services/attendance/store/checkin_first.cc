// CheckIn's usual case: a front desk checks in clients who have no record
// yet for the session, each call with its request_id. The general path
// (AttendanceStore::CheckIn through idempotency::WriteOnce) spends five
// round trips on that: BEGIN, the claim, the record, the answer with the
// audit event, COMMIT. Here the record's id and times are chosen before
// anything is written, so the answer is known in advance and the key is
// stored already answered (idempotency::Answered), in one statement with the
// record and the audit event, which commits as it ends: one round trip. A
// check-in without a request_id goes the same way, with no key.
//
// Check-ins that arrive while a batch is being written wait for it and
// then go together (GroupCommit): the statement takes arrays and writes
// every check-in of the batch, one commit for all. The API's CheckIn waits
// without holding a thread (SubmitFirstCheckIn); CheckIn here blocks. Each check-in is still
// all-or-nothing: when one finds its record or key taken, the statement
// fails whole, and the batch runs in a transaction whose statement names
// such check-ins; it rolls back, leaves them out, and the rest run again.
// Anything unusual (the client has a record, the request_id was seen, the
// batch failed) writes nothing here and goes on to the general path, which
// replays, refuses or updates as before.
#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "absl/time/time.h"
#include "attendance/store/attendance_store.h"
#include "common/audit.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/sql.h"

namespace iop::attendance::store {
namespace {

// The batch as one statement that commits as it ends, refusing itself
// (SQLSTATE kSomeNotNew, migration 0005) when a check-in is not new; and
// the same in a transaction, naming those check-ins instead.
constexpr const char* kAlone = "att_checkin_first_alone";
constexpr const char* kInTransaction = "att_checkin_first";
constexpr const char* kSomeNotNew = "IOP01";

// The batch's check-ins that found their record or key taken; rolls back.
struct SomeNotNew : std::exception {
  std::set<std::string> record_ids;
};

// One text[] (or other array) parameter: a field of every check-in.
template <class F>
std::string Column(const std::vector<FirstCheckIn*>& batch, F field) {
  std::vector<std::string> values;
  values.reserve(batch.size());
  for (const FirstCheckIn* c : batch) values.push_back(field(*c));
  return sql::TextArray(values);
}

// Two check-ins of one batch for the same record or the same key cannot
// both be new: the later ones are left to the general path, which sees the
// first's outcome. The rest go in record order, so that two batches
// writing the same records (a retry racing its first attempt) wait for one
// another instead of deadlocking.
std::vector<FirstCheckIn*> WithoutRepeats(const std::vector<FirstCheckIn*>& batch) {
  std::set<std::tuple<std::string, std::string, std::string>> records, keys;
  std::vector<FirstCheckIn*> out;
  for (FirstCheckIn* c : batch) {
    const auto& r = c->record;
    const auto& k = c->answered.key;
    const bool new_record = records.emplace(r.org_id(), r.session_id(), r.client_id()).second;
    const bool new_key = k.request_id.empty() || keys.emplace(k.org, k.method, k.request_id).second;
    if (new_record && new_key) out.push_back(c);
  }
  auto record_key = [](const FirstCheckIn* c) {
    return std::tie(c->record.org_id(), c->record.session_id(), c->record.client_id());
  };
  std::sort(out.begin(), out.end(), [&](auto* a, auto* b) { return record_key(a) < record_key(b); });
  return out;
}

}  // namespace

void AttendanceStore::PrepareCheckInFirst() {
  // Every part runs once whatever the others did; the end names (or
  // refuses) the check-ins whose record or key was not new.
  const std::string at = sql::FromMicros("at");
  const std::string writes =
      "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
      " $6::text[], $7::text[], $8::date[], $9::bigint[], $10::bigint[], $11::text[], $12::smallint[],"
      " $13::smallint[], $14::bigint[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],"
      " $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::text[],"
      " $27::text[]) AS t(id, org_id, session_id, client_id, group_id, site_id, program_id, local_date,"
      " session_start, session_end, time_zone, status, mood_rating, at, recorded_by, key_org, key_method,"
      " request_id, fingerprint, response, event_org, subject, roles, event_method, resource_ids, outcome,"
      " detail)),"
      " rec AS (INSERT INTO attendance_records (id, org_id, session_id, client_id, group_id, site_id,"
      " program_id, local_date, session_start, session_end, time_zone, status, minutes_attended, note,"
      " mood_rating, check_in_time, recorded_by, create_time, update_time)"
      " SELECT id, org_id, session_id, client_id, group_id, site_id, program_id, local_date, " +
      sql::FromMicros("session_start") + ", " + sql::FromMicros("session_end") +
      ", time_zone, status, 0, '', NULLIF(mood_rating, -1), " + at + ", recorded_by, " + at + ", " + at +
      " FROM input ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING id),"
      " claim AS (" +
      idempotency::InsertAnsweredSql(
          "SELECT key_org, key_method, request_id, fingerprint, decode(response, 'hex') FROM input"
          " WHERE request_id <> ''") +
      " RETURNING org_id, request_id),"
      " event AS (" +
      audit::InsertEventsSql("SELECT event_org, subject, roles::text[], event_method,"
                             " resource_ids::text[], outcome, detail FROM input") +
      ")";
  const std::string not_new =
      " FROM input i WHERE i.id NOT IN (SELECT id FROM rec)"
      " OR (i.request_id <> '' AND (i.key_org, i.request_id) NOT IN (SELECT org_id, request_id FROM claim))";
  pool_.Prepare(kAlone, writes + " SELECT attendance_require_new_checkins(array_agg(i.id))" + not_new);
  pool_.Prepare(kInTransaction, writes + " SELECT i.id" + not_new);
}

std::optional<FirstCheckIn> AttendanceStore::FirstCheckInOf(const auth::Caller& caller,
                                                            const SessionContext& s,
                                                            const std::string& client_id,
                                                            std::optional<int> mood, absl::Time now,
                                                            const WriteKey& key) {
  // With program rules to store first, the general path does what this one does not.
  if (!RulesKnown(caller, s)) return std::nullopt;
  // The record exactly as the general path would read it back after its
  // INSERT: a replay must answer the same whichever path stored it.
  const std::int64_t at = absl::ToUnixMicros(now);
  FirstCheckIn c;
  v1::AttendanceRecord& m = c.record;
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
  c.session_start = absl::ToUnixMicros(s.start);
  c.session_end = absl::ToUnixMicros(s.end);
  c.time_zone = s.time_zone;
  auto answered = idempotency::Answer(caller, key.method, key.request, key.request_id, m);
  if (!answered) return std::nullopt;
  c.answered = std::move(*answered);
  return c;
}

namespace {

pqxx::result WriteBatch(pqxx::transaction_base& tx, const char* statement,
                        const std::vector<FirstCheckIn*>& batch) {
  return tx.exec_prepared(
      statement, Column(batch, [](auto& c) { return c.record.id(); }),
      Column(batch, [](auto& c) { return c.record.org_id(); }),
      Column(batch, [](auto& c) { return c.record.session_id(); }),
      Column(batch, [](auto& c) { return c.record.client_id(); }),
      Column(batch, [](auto& c) { return c.record.group_id(); }),
      Column(batch, [](auto& c) { return c.record.site_id(); }),
      Column(batch, [](auto& c) { return c.record.program_id(); }),
      Column(batch, [](auto& c) { return c.record.local_date(); }),
      Column(batch, [](auto& c) { return std::to_string(c.session_start); }),
      Column(batch, [](auto& c) { return std::to_string(c.session_end); }),
      Column(batch, [](auto& c) { return c.time_zone; }),
      Column(batch, [](auto& c) { return std::to_string(static_cast<int>(c.record.status())); }),
      Column(batch,
             [](auto& c) { return std::to_string(c.record.has_mood_rating() ? c.record.mood_rating() : -1); }),
      Column(batch, [](auto& c) { return std::to_string(sql::MicrosFromTimestamp(c.record.check_in_time())); }),
      Column(batch, [](auto& c) { return c.record.recorded_by(); }),
      Column(batch, [](auto& c) { return c.answered.key.org; }),
      Column(batch, [](auto& c) { return c.answered.key.method; }),
      Column(batch, [](auto& c) { return c.answered.key.request_id; }),
      Column(batch, [](auto& c) { return c.answered.key.fingerprint; }),
      Column(batch, [](auto& c) { return sql::Hex(c.answered.key.response); }),
      Column(batch, [](auto& c) { return c.answered.event.org; }),
      Column(batch, [](auto& c) { return c.answered.event.subject; }),
      Column(batch, [](auto& c) { return sql::TextArray(c.answered.event.roles); }),
      Column(batch, [](auto& c) { return c.answered.event.method; }),
      Column(batch, [](auto& c) { return sql::TextArray(c.answered.event.resource_ids); }),
      Column(batch, [](auto& c) { return c.answered.event.outcome; }),
      Column(batch, [](auto& c) { return c.answered.event.detail; }));
}

// Not this batch's business to decide which check-in broke it: each goes
// the general way on its own and fails, or not, alone.
void EachAlone(const std::exception& e) {
  log::Warn("attendance: a batch of first check-ins failed, each runs alone", {{"error", db::ErrorSummary(e)}});
}

}  // namespace

void AttendanceStore::MarkWritten(const std::vector<FirstCheckIn*>& batch) {
  for (FirstCheckIn* c : batch) c->written = true;
  checkin_batch_size_.Observe(static_cast<double>(batch.size()));
}

void AttendanceStore::WriteFirstCheckIns(const std::vector<FirstCheckIn*>& batch) {
  std::vector<FirstCheckIn*> pending = WithoutRepeats(batch);
  if (pending.empty()) return;
  // The usual batch, every check-in new: one round trip, no BEGIN or COMMIT.
  try {
    pool_.Autocommit([&](pqxx::nontransaction& tx) { WriteBatch(tx, kAlone, pending); }, "CheckIn batch");
    MarkWritten(pending);
    return;
  } catch (const db::CommitUnknown&) {
    // The connection died with the statement (a dead pooled connection
    // after a database restart, or a lost answer): written or not, the
    // transaction below finds out on a fresh one, and what was written is
    // named as not new and answered by the general path.
  } catch (const db::Unavailable&) {
    throw;  // the database is away: every caller hears so
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != kSomeNotNew) return EachAlone(e);
  } catch (const std::exception& e) {
    return EachAlone(e);
  }
  // Some check-in was not new and nothing was written, or the outcome is
  // unknown. In a transaction the statement names those not new: roll
  // back, leave them out, run the rest again.
  // Twice at most: a second refusal means check-ins racing other writers
  // of the same records or keys, which the general path sorts out.
  for (int round = 0; round < 2 && !pending.empty(); ++round) {
    try {
      pool_.Transact(
          [&](pqxx::work& tx) {
            const pqxx::result not_new = WriteBatch(tx, kInTransaction, pending);
            if (!not_new.empty()) {
              SomeNotNew refused;
              for (const auto& row : not_new) refused.record_ids.insert(row[0].c_str());
              throw refused;
            }
          },
          "CheckIn batch retry");
      MarkWritten(pending);
      return;
    } catch (const SomeNotNew& refused) {
      std::erase_if(pending, [&](FirstCheckIn* c) { return refused.record_ids.count(c->record.id()) > 0; });
    } catch (const db::Unavailable&) {
      throw;  // the database is away (or this commit's outcome unknown): every caller hears so
    } catch (const std::exception& e) {
      return EachAlone(e);
    }
  }
}

void AttendanceStore::SubmitFirstCheckIn(FirstCheckIn first, FirstDone done) {
  // Lives until its batch ran; the batch may run on another caller's thread.
  auto item = std::make_shared<FirstCheckIn>(std::move(first));
  first_checkins_.Submit(*item, [item, done = std::move(done)](std::exception_ptr error) {
    if (error) return done(std::nullopt, error);
    if (!item->written) return done(std::nullopt, nullptr);
    done(std::move(item->record), nullptr);
  });
}

std::optional<v1::AttendanceRecord> AttendanceStore::CheckInFirst(const auth::Caller& caller,
                                                                  const SessionContext& s,
                                                                  const std::string& client_id,
                                                                  std::optional<int> mood, absl::Time now,
                                                                  const WriteKey& key) {
  auto first = FirstCheckInOf(caller, s, client_id, mood, now, key);
  if (!first) return std::nullopt;
  first_checkins_.Submit(*first);
  if (!first->written) return std::nullopt;
  idempotency::AnswerCommitted();
  return std::move(first->record);
}

}  // namespace iop::attendance::store
