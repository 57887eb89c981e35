#include "common/audit.h"

#include <prometheus/counter.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "common/db.h"
#include "common/log.h"
#include "common/sql.h"

namespace iop::audit {
std::string InsertEventSql(int first) {
  std::string p[7];
  for (int i = 0; i < 7; ++i) p[i] = "$" + std::to_string(first + i);
  return InsertEventsSql("VALUES (" + p[0] + ", " + p[1] + ", " + p[2] + "::text[], " + p[3] + ", " + p[4] +
                         "::text[], " + p[5] + ", " + p[6] + ")");
}

std::string InsertEventsSql(const std::string& rows) {
  return "INSERT INTO audit_events (org_id, subject, roles, method, resource_ids, outcome, detail) " + rows;
}

namespace {

constexpr std::string_view kTokenPrefix = "a1:";
// PostgreSQL's timestamptz range is wider, but absl::Time is not bounded at
// all; clamp to years 1..9999 so a silly filter cannot overflow the query.
constexpr std::int64_t kMinMicros = -62135596800LL * 1000000;
constexpr std::int64_t kMaxMicros = 253402300799LL * 1000000;

nlohmann::json EventJson(const AuditEvent& e) {
  return {{"org", e.org},       {"subject", e.subject}, {"roles", e.roles},
          {"method", e.method}, {"resource_ids", e.resource_ids},
          {"outcome", e.outcome}, {"detail", e.detail}};
}

std::string Micros(absl::Time t) {
  return std::to_string(std::clamp(absl::ToUnixMicros(t), kMinMicros, kMaxMicros));
}

std::vector<std::string> ParseJsonArray(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

constexpr const char* kInsertName = "iop_audit_insert";
const std::string kInsertSql = InsertEventSql(1);

thread_local CallAudit* current_call = nullptr;

}  // namespace

void InsertEvent(pqxx::transaction_base& tx, const AuditEvent& event) {
  // Registering on the connection is a no-op after the first time; the
  // server prepares it once per connection.
  tx.conn().prepare(kInsertName, kInsertSql);
  tx.exec_prepared0(kInsertName, event.org, event.subject, sql::TextArray(event.roles), event.method,
                    sql::TextArray(event.resource_ids), event.outcome, event.detail);
}

CallAudit::CallAudit(AuditEvent base, const std::vector<std::string>& touched, const std::string& detail)
    : base_(std::move(base)), touched_(touched), detail_(detail), previous_(current_call), installed_(true) {
  current_call = this;
}

CallAudit::CallAudit(AuditEvent base, const std::vector<std::string>& touched, const std::string& detail,
                     Detached)
    : base_(std::move(base)), touched_(touched), detail_(detail) {}

CallAudit::~CallAudit() {
  if (installed_) current_call = previous_;
}

CallAudit::Scope::Scope(CallAudit* audit) : previous_(current_call) { current_call = audit; }

CallAudit::Scope::~Scope() { current_call = previous_; }

CallAudit* CallAudit::Current() { return current_call; }

AuditEvent CallAudit::Event(std::string outcome, const std::vector<std::string>& more_ids) const {
  AuditEvent event = base_;
  event.outcome = std::move(outcome);
  event.detail = detail_;
  event.resource_ids = touched_;
  for (const auto& id : more_ids) {
    if (!id.empty() && std::find(event.resource_ids.begin(), event.resource_ids.end(), id) ==
                           event.resource_ids.end()) {
      event.resource_ids.push_back(id);
    }
  }
  return event;
}

void CallAudit::WriteWithin(pqxx::transaction_base& tx, const std::vector<std::string>& more_ids) {
  if (auto event = TakeForWrite(more_ids)) InsertEvent(tx, *event);
}

std::optional<AuditEvent> CallAudit::TakeForWrite(const std::vector<std::string>& more_ids) {
  if (committed_) return std::nullopt;
  written_ = true;
  return Event("OK", more_ids);
}

std::string EncodePageToken(std::int64_t last_id) {
  return absl::WebSafeBase64Escape(std::string(kTokenPrefix) + std::to_string(last_id));
}

std::optional<std::int64_t> DecodePageToken(std::string_view token) {
  std::string raw;
  // absl::string_view is not std::string_view in this absl build.
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) {
    return std::nullopt;
  }
  if (raw.rfind(kTokenPrefix, 0) != 0) return std::nullopt;
  std::int64_t id = 0;
  if (!absl::SimpleAtoi(absl::string_view(raw).substr(kTokenPrefix.size()), &id) || id <= 0) {
    return std::nullopt;
  }
  return id;
}

AuditLog::AuditLog(db::Pool& pool)
    : pool_(pool),
      write_failures_(prometheus::BuildCounter()
                          .Name("iop_audit_write_failures_total")
                          .Help("Audit events that could not be written")
                          .Register(pool.registry())
                          .Add({})) {}

void AuditLog::Record(const AuditEvent& event) noexcept {
  try {
    pool_.Transact([&](pqxx::work& tx) { InsertEvent(tx, event); }, "audit_record");
  } catch (const std::exception& e) {
    write_failures_.Increment();
    // The event goes to the log so that it is not lost altogether.
    try {
      log::Error("audit write failed", {{"error", e.what()}, {"audit_event", EventJson(event)}});
    } catch (...) {
    }
  } catch (...) {
    write_failures_.Increment();
  }
}

AuditLog::Page AuditLog::List(const std::string& org, const AuditFilter& filter, int page_size,
                              const std::string& page_token) {
  const int size = page_size <= 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::optional<std::int64_t> after;
  if (!page_token.empty()) {
    after = DecodePageToken(page_token);
    if (!after) throw InvalidPageToken("page_token was not issued by this service");
  }

  std::string sql =
      "SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, subject, "
      "array_to_json(roles)::text, method, array_to_json(resource_ids)::text, outcome, detail "
      "FROM audit_events WHERE org_id = $1";
  std::vector<std::string> params{org};
  // Appends a condition whose single placeholder is written as "$?".
  auto where = [&](std::string condition, std::string value) {
    params.push_back(std::move(value));
    condition.replace(condition.find("$?"), 2, "$" + std::to_string(params.size()));
    sql += condition;
  };
  const std::string from_micros = sql::FromMicros("$?::bigint");
  if (filter.start_time) where(" AND occurred_at >= " + from_micros, Micros(*filter.start_time));
  if (filter.end_time) where(" AND occurred_at < " + from_micros, Micros(*filter.end_time));
  // The full gRPC method ("/pkg.Service/Rpc"), or just the RPC's name.
  if (!filter.method.empty()) where(" AND $? IN (method, split_part(method, '/', 3))", filter.method);
  if (!filter.subject.empty()) where(" AND subject = $?", filter.subject);
  if (!filter.resource_id.empty()) where(" AND resource_ids @> ARRAY[$?::text]", filter.resource_id);
  if (after) {
    // Keyset: strictly after the previous page's last row in (time, id)
    // order; a cursor from another org matches no row and yields nothing.
    where(" AND (occurred_at, id) < (SELECT occurred_at, id FROM audit_events "
          "WHERE id = $?::bigint AND org_id = $1)",
          std::to_string(*after));
  }
  sql += " ORDER BY occurred_at DESC, id DESC LIMIT " + std::to_string(size + 1);

  Page page = pool_.Read(
      [&](pqxx::work& tx) {
        Page p;
        for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
          AuditRecord r;
          r.id = row[0].as<std::int64_t>();
          r.occurred_at = absl::FromUnixMicros(row[1].as<std::int64_t>());
          r.event.org = org;
          r.event.subject = row[2].as<std::string>();
          r.event.roles = ParseJsonArray(row[3].as<std::string>());
          r.event.method = row[4].as<std::string>();
          r.event.resource_ids = ParseJsonArray(row[5].as<std::string>());
          r.event.outcome = row[6].as<std::string>();
          r.event.detail = row[7].as<std::string>();
          p.events.push_back(std::move(r));
        }
        return p;
      },
      "audit_list");
  if (static_cast<int>(page.events.size()) > size) {
    page.events.resize(static_cast<std::size_t>(size));
    page.next_page_token = EncodePageToken(page.events.back().id);
  }
  return page;
}

}  // namespace iop::audit
