// WatchSessionAttendance (see watch_reactor.h for the stream's lifecycle)
// and ListAuditEvents.
#include "attendance/api/attendance_api.h"
#include "attendance/api/helpers.h"
#include "attendance/api/watch_reactor.h"
#include "common/audit_rpc.h"

namespace iop::attendance::api {

using auth::Permission;
using server::Call;

namespace {
// How long a new watch waits for the change feed to LISTEN (a round trip
// to PostgreSQL when the feed is idle, nothing when it listens already).
constexpr std::chrono::seconds kListenWait(2);
}  // namespace

grpc::ServerWriteReactor<v1::AttendanceEvent>* AttendanceApi::WatchSessionAttendance(
    CallbackServerContext* ctx, const v1::WatchSessionAttendanceRequest* req) {
  auto* reactor = new WatchReactor(hub_, metrics_.active_watchers);
  // Authorization, audit and the session lookup block: they run on the
  // worker pool, never on gRPC's callback thread.
  workers_.Post([this, ctx, req, reactor] {
    std::string org;
    absl::Time session_end;
    grpc::Status status = runner_.Run(
        ctx, *req, {"WatchSessionAttendance", Permission::kAttendanceRead, /*client_data=*/true},
        [&](Call& call) {
          errors::Validator v;
          CheckId(v, "session_id", req->session_id());
          v.ThrowIfInvalid();
          call.Touch(req->session_id());
          auto roster = scheduling_.Roster(call, req->session_id());
          org = call.caller().org;
          session_end = ToTime(roster.session().end_time());
        });
    if (status.ok()) {
      // Listening before subscribing: a change another replica commits
      // once the watch is subscribed is heard.
      reactor->Begin(org, req->session_id(), session_end, changes_.Want(kListenWait));
    } else {
      reactor->Fail(status);
    }
  });
  return reactor;
}

ServerUnaryReactor* AttendanceApi::ListAuditEvents(CallbackServerContext* ctx,
                                                   const iop::common::v1::ListAuditEventsRequest* req,
                                                   iop::common::v1::ListAuditEventsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListAuditEvents", Permission::kAuditRead, /*client_data=*/true}, [=, this](Call& call) {
    *resp = audit::ListAuditEvents(audit_, call.caller(), *req);
  });
}

}  // namespace iop::attendance::api
