// Handlers of the enrollment RPCs. All of them read or write client data,
// so each leaves an audit record.
#include "common/errors.h"
#include "scheduling/api/group_fields.h"
#include "scheduling/api/scheduling_api.h"
#include "scheduling/domain/recurrence.h"

namespace iop::scheduling::api {
namespace {

using auth::Permission;
using server::Call;

void CheckOptionalDate(errors::Validator& v, const std::string& field, const std::string& value) {
  v.Require(value.empty() || domain::ParseDate(value).has_value(), field, "must be a \"YYYY-MM-DD\" date");
}

}  // namespace

ServerUnaryReactor* SchedulingApi::EnrollClient(CallbackServerContext* ctx, const v1::EnrollClientRequest* req,
                                                v1::Membership* resp) {
  return runner_.Unary(ctx, *req, {"EnrollClient", Permission::kEnrollmentWrite, /*client_data=*/true},
                       [=, this](Call& call) {
    call.Touch(req->client_id());
    call.Touch(req->group_id());
    errors::Validator v;
    v.Require(!req->group_id().empty(), "group_id", "is required");
    v.Require(!req->client_id().empty(), "client_id", "is required");
    CheckOptionalDate(v, "start_date", req->start_date());
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.EnrollClient(call.caller(), *req, {"EnrollClient", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::DischargeClient(CallbackServerContext* ctx, const v1::DischargeClientRequest* req,
                                                   v1::DischargeClientResponse* resp) {
  return runner_.Unary(ctx, *req, {"DischargeClient", Permission::kEnrollmentWrite, true}, [=, this](Call& call) {
    call.Touch(req->client_id());
    call.Touch(req->group_id());
    errors::Validator v;
    v.Require(!req->group_id().empty(), "group_id", "is required");
    v.Require(!req->client_id().empty(), "client_id", "is required");
    CheckOptionalDate(v, "end_date", req->end_date());
    v.Require(v1::DischargeType_IsValid(req->discharge_type()) &&
                  req->discharge_type() != v1::DISCHARGE_TYPE_GROUP_CLOSED,
              "discharge_type", "must be a DISCHARGE_TYPE_ value other than GROUP_CLOSED");
    v.Require(req->reason().size() <= 500, "reason", "must be at most 500 bytes");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.DischargeClient(call.caller(), *req, {"DischargeClient", *req, req->request_id()});
    call.Touch(resp->membership().id());
    if (resp->has_promoted()) call.Touch(resp->promoted().client_id());
  });
}

ServerUnaryReactor* SchedulingApi::ListMemberships(CallbackServerContext* ctx, const v1::ListMembershipsRequest* req,
                                                   v1::ListMembershipsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListMemberships", Permission::kScheduleRead, true}, [=, this](Call& call) {
    call.Touch(req->group_id());
    call.Touch(req->client_id());
    errors::Validator v;
    v.Require(!req->group_id().empty() || !req->client_id().empty(), "group_id",
              "group_id or client_id is required");
    v.Require(v1::MembershipStatus_IsValid(req->status()), "status", "is not a known membership status");
    v.ThrowIfInvalid();
    auto page = schedule_.ListMemberships(call.caller(), *req);
    for (auto& m : page.items) {
      call.Touch(m.client_id());
      *resp->add_memberships() = std::move(m);
    }
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::GetSessionRoster(CallbackServerContext* ctx,
                                                    const v1::GetSessionRosterRequest* req,
                                                    v1::GetSessionRosterResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetSessionRoster", Permission::kScheduleRead, true}, [=, this](Call& call) {
    call.Touch(req->session_id());
    if (req->session_id().empty()) errors::Throw(errors::InvalidArgument("session_id", "is required"));
    *resp = schedule_.GetSessionRoster(call.caller(), req->session_id());
    for (const auto& e : resp->entries()) call.Touch(e.client_id());
  });
}

ServerUnaryReactor* SchedulingApi::GetClientIntensity(CallbackServerContext* ctx,
                                                      const v1::GetClientIntensityRequest* req,
                                                      v1::GetClientIntensityResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetClientIntensity", Permission::kScheduleRead, true}, [=, this](Call& call) {
    call.Touch(req->client_id());
    errors::Validator v;
    v.Require(!req->client_id().empty(), "client_id", "is required");
    auto week = domain::ParseDate(req->week_start());
    v.Require(week.has_value(), "week_start", "must be a \"YYYY-MM-DD\" date");
    v.ThrowIfInvalid();
    *resp = schedule_.GetClientIntensity(call.caller(), req->client_id(), *week);
  });
}

}  // namespace iop::scheduling::api
