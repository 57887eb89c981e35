// PostgreSQL storage of attendance records and their versions. Every method
// takes the caller and scopes by org and, for site-limited callers, by the
// record's site. Writes are idempotent by request_id (common/idempotent.h)
// and run in one transaction each; the version trigger (migration 0001)
// keeps every earlier version.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/histogram.h>

#include "attendance/domain/summary.h"
#include "common/auth.h"
#include "common/db.h"
#include "common/group_commit.h"
#include "common/idempotent.h"
#include "iop/attendance/v1/attendance.pb.h"

namespace iop::attendance::store {

namespace v1 = ::iop::attendance::v1;

// What a write copies from scheduling onto the record.
struct SessionContext {
  std::string session_id;
  std::string group_id;
  std::string site_id;
  std::string program_id;
  std::string time_zone;
  absl::CivilDay local_date;
  absl::Time start;
  absl::Time end;
  domain::ProgramRules rules;
};

// Identifies one idempotent write.
struct WriteKey {
  const char* method;
  const google::protobuf::Message& request;
  const std::string& request_id;
};

// A stored record with the session facts that are not part of the message.
struct Stored {
  v1::AttendanceRecord record;
  absl::Time session_start;
  absl::Time session_end;
  std::string time_zone;
};

// A check-in of a client with no record yet, its answer decided before it
// is written (checkin_first.cc).
struct FirstCheckIn {
  v1::AttendanceRecord record;  // the answer: the record as it reads back
  std::int64_t session_start = 0, session_end = 0;  // µs since the epoch
  std::string time_zone;
  idempotency::Answered answered;
  bool written = false;  // committed with its key and audit event
};

// A write's result; `fresh` is false when the request_id replayed an
// earlier result, `changed[i]` says whether record i changed in this call.
template <class T>
struct Written {
  T response;
  bool fresh = false;
  std::vector<bool> changed;
};

class AttendanceStore {
 public:
  // `answer_on` runs a task elsewhere (the worker pool): where a batch of
  // first check-ins is answered while the next batch is written. Without
  // it, the thread writing the batches answers them.
  explicit AttendanceStore(db::Pool& pool, GroupCommit<FirstCheckIn>::Executor answer_on = nullptr);

  // A check-in, waiting for its batch when it is a client's first.
  Written<v1::AttendanceRecord> CheckIn(const auth::Caller& caller, const SessionContext& session,
                                        const std::string& client_id, std::optional<int> mood,
                                        absl::Time now, const WriteKey& key);
  // The same without the batch: for a first check-in its batch did not
  // write (the record or key existed, or the batch failed), and for every
  // check-in FirstCheckInOf declines.
  Written<v1::AttendanceRecord> CheckInGeneral(const auth::Caller& caller, const SessionContext& session,
                                               const std::string& client_id, std::optional<int> mood,
                                               absl::Time now, const WriteKey& key);
  // Hands a first check-in (FirstCheckInOf) to the group commit without
  // waiting. `done` runs once its batch ran, on the thread that ran it, and
  // must not block: with the record when it was written, with nullopt
  // when not (CheckInGeneral must run), or with the batch's error.
  using FirstDone = std::function<void(std::optional<v1::AttendanceRecord>, std::exception_ptr)>;
  void SubmitFirstCheckIn(FirstCheckIn first, FirstDone done);
  // FAILED_PRECONDITION NOT_CHECKED_IN when the client has no check-in.
  Written<v1::AttendanceRecord> CheckOut(const auth::Caller& caller, const SessionContext& session,
                                         const std::string& client_id, absl::Time now,
                                         const WriteKey& key);
  // Entries are already validated against the session and its roster.
  Written<v1::RecordAttendanceResponse> Record(const auth::Caller& caller,
                                               const SessionContext& session,
                                               const std::vector<v1::AttendanceEntry>& entries,
                                               const WriteKey& key);

  // Records of one session the caller may see, by client_id.
  std::vector<Stored> SessionRecords(const auth::Caller& caller,
                                                   const std::string& session_id);
  // One version of a record, as it was written; nullopt when there is none.
  // For relaying committed changes to watchers (no caller: the watchers
  // were authorized when they subscribed).
  std::optional<v1::AttendanceRecord> Version(const std::string& org, const std::string& record_id,
                                              std::int64_t version);
  // Every version, oldest first; empty when there is no (visible) record.
  std::vector<v1::AttendanceRecord> History(const auth::Caller& caller, const std::string& session_id,
                                            const std::string& client_id);
  // Records with local_date in [first, last] (any client when client_id is
  // empty; group/site/program filters when not empty).
  struct Filter {
    std::string client_id;
    std::string group_id;
    std::string site_id;
    std::string program_id;
  };
  std::vector<Stored> Records(const auth::Caller& caller, const Filter& filter,
                                            absl::CivilDay first, absl::CivilDay last);
  // Stored thresholds of these programs (defaults for unknown ones).
  domain::RulesByProgram Rules(const auth::Caller& caller, const std::vector<std::string>& program_ids);

  // CheckIn's usual case, a client with no record yet (checkin_first.cc),
  // for SubmitFirstCheckIn; nullopt when the general path must run. A
  // group commit writes concurrent ones as one batch.
  std::optional<FirstCheckIn> FirstCheckInOf(const auth::Caller& caller, const SessionContext& s,
                                             const std::string& client_id, std::optional<int> mood,
                                             absl::Time now, const WriteKey& key);
  // Writes the batch, usually by one statement: each check-in whose record
  // and key are both new is written (`written`), the others not at all.
  void WriteFirstCheckIns(const std::vector<FirstCheckIn*>& batch);

 private:
  void Prepare();
  // Applies `change` to the locked current record (nullopt when none) and
  // stores what it returns; `change` returns nullopt for "nothing changes".
  using Change = std::function<std::optional<v1::AttendanceRecord>(
      const std::optional<v1::AttendanceRecord>& current)>;
  std::pair<v1::AttendanceRecord, bool> Apply(pqxx::work& tx, const auth::Caller& caller,
                                              const SessionContext& s, const std::string& client_id,
                                              absl::Time now, const Change& change,
                                              bool likely_new = false);
  std::optional<v1::AttendanceRecord> Insert(pqxx::work& tx, const auth::Caller& caller,
                                             const SessionContext& s, const std::string& client_id,
                                             const v1::AttendanceRecord& values, absl::Time now);
  v1::AttendanceRecord Update(pqxx::work& tx, const auth::Caller& caller, const SessionContext& s,
                              const v1::AttendanceRecord& values, absl::Time now);
  std::optional<v1::AttendanceRecord> Lock(pqxx::work& tx, const auth::Caller& caller,
                                           const std::string& session_id, const std::string& client_id);
  // CheckIn's usual case through the group commit; nullopt when it wrote
  // nothing and the general path must run.
  std::optional<v1::AttendanceRecord> CheckInFirst(const auth::Caller& caller, const SessionContext& s,
                                                   const std::string& client_id, std::optional<int> mood,
                                                   absl::Time now, const WriteKey& key);
  void PrepareCheckInFirst();
  // Marks the batch's check-ins written and counts them as one batch.
  void MarkWritten(const std::vector<FirstCheckIn*>& batch);
  // Whether this process knows the database holds the session's program rules.
  bool RulesKnown(const auth::Caller& caller, const SessionContext& s);
  // Copies the session's program rules unless this process already stored
  // the same ones; returns whether it wrote them (see RulesSaved).
  bool SaveRules(pqxx::work& tx, const auth::Caller& caller, const SessionContext& s);
  // After the transaction that ran SaveRules committed.
  void RulesSaved(const auth::Caller& caller, const SessionContext& s);

  db::Pool& pool_;
  // Program rules this process knows the database holds, so that the
  // writes of one busy program do not rewrite its rules on every call.
  std::mutex rules_mu_;
  std::map<std::pair<std::string, std::string>, domain::ProgramRules> saved_rules_;
  prometheus::Histogram& checkin_batch_size_;
  GroupCommit<FirstCheckIn> first_checkins_;
};

// The facts summaries and alerts work on, from a stored record.
domain::SessionFact FactOf(const Stored& stored);

}  // namespace iop::attendance::store
