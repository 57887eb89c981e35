// Append-only audit log of calls that read or write client data (who, org,
// method, resource ids, outcome, time), kept in the service's own database.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace pqxx {
class transaction_base;
}

namespace prometheus {
class Counter;
}

namespace iop::db {
class Pool;
}

namespace iop::audit {

struct AuditEvent {
  std::string org, subject;
  std::vector<std::string> roles;
  std::string method;  // "iop.scheduling.v1.SchedulingService/GetClient"
  std::vector<std::string> resource_ids;
  std::string outcome;  // "OK", "NOT_FOUND", ...
  std::string detail;
};

struct AuditRecord {
  std::int64_t id = 0;
  absl::Time occurred_at;
  AuditEvent event;
};

// Empty fields do not filter. start_time inclusive, end_time exclusive.
struct AuditFilter {
  std::optional<absl::Time> start_time{}, end_time{};
  std::string method{}, resource_id{}, subject{};
};

// A page_token that this service did not hand out (→ INVALID_ARGUMENT).
class InvalidPageToken : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class AuditLog {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;

  explicit AuditLog(db::Pool& pool);

  // Own short transaction. Never throws: a failure is logged with the whole
  // event and counted in iop_audit_write_failures_total.
  void Record(const AuditEvent& event) noexcept;

  struct Page {
    std::vector<AuditRecord> events;  // newest first
    std::string next_page_token;      // empty on the last page
  };
  // One org's events only. page_size <= 0 means the default; larger than the
  // maximum is clamped. Throws InvalidPageToken, db::Unavailable.
  Page List(const std::string& org, const AuditFilter& filter, int page_size,
            const std::string& page_token);

 private:
  db::Pool& pool_;
  prometheus::Counter& write_failures_;
};

// Appends `event` inside the caller's transaction (a prepared statement).
void InsertEvent(pqxx::transaction_base& tx, const AuditEvent& event);
// The INSERT of one event with its values in parameters $first .. $first+6,
// for a statement that does other work in the same round trip (the write's
// idempotency record); pass them with EventParams' order.
std::string InsertEventSql(int first);
// The INSERT of the events `rows` (a SELECT or VALUES) gives, with the
// columns of EventParams' order (roles and resource_ids as text[]).
std::string InsertEventsSql(const std::string& rows);

// The audit event of the call this thread is serving, for a write to carry
// into its own transaction: the event then commits if and only if the write
// does, and the call costs one commit instead of two. The call's runner
// installs it while the handler runs (a Scope around each part of a
// deferred call); idempotency::WriteOnce writes it (outcome OK); the runner
// writes the event itself, with the real outcome, only when no committed
// transaction carried it. A handler that fails after its write committed is
// therefore recorded as OK, which is what happened to the data.
class CallAudit {
 public:
  // `touched` and `detail` are read when the event is written, so ids the
  // handler adds before its write are included.
  CallAudit(AuditEvent base, const std::vector<std::string>& touched, const std::string& detail);
  // For a call whose parts may run on different threads (server::Later):
  // current only inside a Scope, on whichever thread runs a part.
  struct Detached {};
  CallAudit(AuditEvent base, const std::vector<std::string>& touched, const std::string& detail, Detached);
  ~CallAudit();

  // Makes `audit` (or none) this thread's current call until it ends; the
  // call current before is current again then.
  class Scope {
   public:
    explicit Scope(CallAudit* audit);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CallAudit* previous_;
  };
  CallAudit(const CallAudit&) = delete;
  CallAudit& operator=(const CallAudit&) = delete;

  // The call running on this thread, or nullptr (a store used outside a call).
  static CallAudit* Current();

  // In a write transaction: appends the event with outcome OK and the ids of
  // the call plus `more_ids` (the ids of what the write returned). Nothing
  // once an earlier transaction of this call committed the event.
  void WriteWithin(pqxx::transaction_base& tx, const std::vector<std::string>& more_ids);
  // For a caller that writes the event itself in the transaction (one
  // statement with other work): the event WriteWithin would write, counted
  // as written; nullopt once an earlier transaction committed it.
  std::optional<AuditEvent> TakeForWrite(const std::vector<std::string>& more_ids);
  // The call's event as it stands: its ids so far plus `more_ids`.
  AuditEvent Event(std::string outcome, const std::vector<std::string>& more_ids = {}) const;
  // The transaction that last ran WriteWithin has committed.
  void Committed() { committed_ = written_; }
  bool committed() const { return committed_; }

 private:
  AuditEvent base_;
  const std::vector<std::string>& touched_;
  const std::string& detail_;
  CallAudit* previous_ = nullptr;
  bool installed_ = false;
  bool written_ = false;
  bool committed_ = false;
};

// Opaque keyset cursor: the id of the last event of the previous page.
std::string EncodePageToken(std::int64_t last_id);
// nullopt when the token is malformed.
std::optional<std::int64_t> DecodePageToken(std::string_view token);

}  // namespace iop::audit
