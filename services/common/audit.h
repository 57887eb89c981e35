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

// Opaque keyset cursor: the id of the last event of the previous page.
std::string EncodePageToken(std::int64_t last_id);
// nullopt when the token is malformed.
std::optional<std::int64_t> DecodePageToken(std::string_view token);

}  // namespace iop::audit
