// ListAuditEvents, the same on every service: translates the shared
// iop.common.v1 request into an org-scoped AuditLog query.
#pragma once

#include "common/audit.h"
#include "common/auth.h"
#include "iop/common/v1/audit.pb.h"

namespace iop::audit {

// Throws errors::RpcError (INVALID_ARGUMENT naming page_size, page_token or
// the time range) on bad input.
iop::common::v1::ListAuditEventsResponse ListAuditEvents(
    AuditLog& log, const auth::Caller& caller, const iop::common::v1::ListAuditEventsRequest& req);

}  // namespace iop::audit
