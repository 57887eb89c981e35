// Handlers of the session RPCs.
#include "common/errors.h"
#include "common/sql.h"
#include "scheduling/api/group_fields.h"
#include "scheduling/api/scheduling_api.h"

namespace iop::scheduling::api {
namespace {

using auth::Permission;
using server::Call;

constexpr absl::Duration kLongestRange = absl::Hours(24 * 400);
constexpr absl::Duration kLongestSession = absl::Hours(12);

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return sql::TimeFromMicros(sql::MicrosFromTimestamp(ts));
}

}  // namespace

ServerUnaryReactor* SchedulingApi::ListSessions(CallbackServerContext* ctx, const v1::ListSessionsRequest* req,
                                                v1::ListSessionsResponse* resp) {
  // Sessions of one client are that client's schedule: client data.
  const bool client_data = !req->client_id().empty();
  return runner_.Unary(ctx, *req, {"ListSessions", Permission::kScheduleRead, client_data}, [=, this](Call& call) {
    call.Touch(req->client_id());
    const absl::Time start = req->has_start_time() ? ToTime(req->start_time()) : absl::Now() - absl::Hours(24);
    const absl::Time end = req->has_end_time() ? ToTime(req->end_time()) : start + absl::Hours(24 * 35);
    errors::Validator v;
    v.Require(end > start, "end_time", "must be after start_time");
    v.Require(end - start <= kLongestRange, "end_time", "must be at most 400 days after start_time");
    v.Require(v1::SessionStatus_IsValid(req->status()), "status", "is not a known session status");
    v.ThrowIfInvalid();
    auto page = schedule_.ListSessions(call.caller(), *req, start, end);
    for (auto& s : page.items) *resp->add_sessions() = std::move(s);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::GetSession(CallbackServerContext* ctx, const v1::GetSessionRequest* req,
                                              v1::Session* resp) {
  return runner_.Unary(ctx, *req, {"GetSession", Permission::kScheduleRead}, [=, this](Call& call) {
    *resp = schedule_.GetSession(call.caller(), req->id());
  });
}

ServerUnaryReactor* SchedulingApi::CreateSession(CallbackServerContext* ctx, const v1::CreateSessionRequest* req,
                                                 v1::Session* resp) {
  return runner_.Unary(ctx, *req, {"CreateSession", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    const v1::Session& s = req->session();
    errors::Validator v;
    v.Require(!s.group_id().empty(), "session.group_id", "is required");
    v.Require(s.has_start_time(), "session.start_time", "is required");
    if (!s.has_end_time()) {
      v.Add("session.end_time", "is required");
    } else if (s.has_start_time()) {
      const absl::Duration length = ToTime(s.end_time()) - ToTime(s.start_time());
      v.Require(length > absl::ZeroDuration() && length <= kLongestSession, "session.end_time",
                "must be after start_time and at most 12 hours later");
    }
    for (const auto& f : s.facilitator_ids()) v.Require(!f.empty(), "session.facilitator_ids", "must not be empty");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.CreateSession(call.caller(), s, {"CreateSession", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::CancelSession(CallbackServerContext* ctx, const v1::CancelSessionRequest* req,
                                                 v1::Session* resp) {
  return runner_.Unary(ctx, *req, {"CancelSession", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->id().empty(), "id", "is required");
    v.Require(req->reason().size() <= 500, "reason", "must be at most 500 bytes");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.CancelSession(call.caller(), req->id(), req->reason(),
                                    {"CancelSession", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::RescheduleSession(CallbackServerContext* ctx,
                                                     const v1::RescheduleSessionRequest* req, v1::Session* resp) {
  return runner_.Unary(ctx, *req, {"RescheduleSession", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->id().empty(), "id", "is required");
    v.Require(req->has_start_time(), "start_time", "is required");
    v.Require(!req->has_duration_minutes() || (req->duration_minutes() >= 15 && req->duration_minutes() <= 720),
              "duration_minutes", "must be from 15 to 720");
    for (const auto& f : req->facilitator_ids()) v.Require(!f.empty(), "facilitator_ids", "must not be empty");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.RescheduleSession(call.caller(), *req, {"RescheduleSession", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

}  // namespace iop::scheduling::api
