#include "common/audit_rpc.h"

#include "common/errors.h"
#include "common/sql.h"

namespace iop::audit {

iop::common::v1::ListAuditEventsResponse ListAuditEvents(
    AuditLog& log, const auth::Caller& caller, const iop::common::v1::ListAuditEventsRequest& req) {
  errors::Validator v;
  v.Require(req.page_size() >= 0, "page_size", "must not be negative");
  AuditFilter filter;
  if (req.has_start_time()) filter.start_time = sql::TimeFromMicros(sql::MicrosFromTimestamp(req.start_time()));
  if (req.has_end_time()) filter.end_time = sql::TimeFromMicros(sql::MicrosFromTimestamp(req.end_time()));
  if (filter.start_time && filter.end_time) {
    v.Require(*filter.start_time < *filter.end_time, "end_time", "must be after start_time");
  }
  v.ThrowIfInvalid();
  filter.method = req.method();
  filter.resource_id = req.resource_id();
  filter.subject = req.subject();
  AuditLog::Page page;
  try {
    page = log.List(caller.org, filter, req.page_size(), req.page_token());
  } catch (const InvalidPageToken&) {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  }
  iop::common::v1::ListAuditEventsResponse out;
  for (const auto& record : page.events) {
    auto* e = out.add_audit_events();
    e->set_id(std::to_string(record.id));
    *e->mutable_occurred_at() = sql::TimestampFromMicros(absl::ToUnixMicros(record.occurred_at));
    e->set_org_id(record.event.org);
    e->set_subject(record.event.subject);
    for (const auto& r : record.event.roles) e->add_roles(r);
    e->set_method(record.event.method);
    for (const auto& id : record.event.resource_ids) e->add_resource_ids(id);
    e->set_outcome(record.event.outcome);
    e->set_detail(record.event.detail);
  }
  out.set_next_page_token(page.next_page_token);
  return out;
}

}  // namespace iop::audit
