// Handlers of UpdateProgram and the group RPCs.
//
// Groups, sessions and enrollment are managed by admin, clinician and
// front_desk (the contract's "Callable by"): exactly the roles holding
// Permission::kEnrollmentWrite, so all of those writes require it.
#include "common/errors.h"
#include "scheduling/api/group_fields.h"
#include "scheduling/api/scheduling_api.h"
#include "scheduling/domain/recurrence.h"

namespace iop::scheduling::api {
namespace {

using auth::Permission;
using server::Call;

}  // namespace

ServerUnaryReactor* SchedulingApi::UpdateProgram(CallbackServerContext* ctx, const v1::UpdateProgramRequest* req,
                                                 v1::Program* resp) {
  return runner_.Unary(ctx, *req, {"UpdateProgram", Permission::kOrgManage}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->program().id().empty(), "program.id", "is required");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = directory_.UpdateProgram(
        call.caller(), req->program().id(), req->program().etag(),
        [&](const v1::Program& current) { return ApplyProgramMask(current, req->program(), req->update_mask()); },
        {"UpdateProgram", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::CreateGroup(CallbackServerContext* ctx, const v1::CreateGroupRequest* req,
                                               v1::Group* resp) {
  return runner_.Unary(ctx, *req, {"CreateGroup", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    errors::Validator v;
    CheckGroup(v, req->group(), /*creating=*/true);
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    v1::Group g = req->group();
    g.clear_id();
    g.clear_org_id();
    g.clear_site_id();
    g.clear_etag();
    *resp = schedule_.CreateGroup(call.caller(), g, {"CreateGroup", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::GetGroup(CallbackServerContext* ctx, const v1::GetGroupRequest* req,
                                            v1::Group* resp) {
  return runner_.UnaryRead(
      ctx, *req, {"GetGroup", Permission::kScheduleRead},
      [=, this](const auth::Caller& caller) {
        return schedule_.PeekGroup(caller, req->id(), resp);
      },
      [=, this](Call& call) {
        *resp = schedule_.GetGroup(call.caller(), req->id());
      });
}

ServerUnaryReactor* SchedulingApi::ListGroups(CallbackServerContext* ctx, const v1::ListGroupsRequest* req,
                                              v1::ListGroupsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListGroups", Permission::kScheduleRead}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(iop::common::v1::Modality_IsValid(req->modality()), "modality", "is not a known modality");
    v.Require(v1::GroupStatus_IsValid(req->status()), "status", "is not a known group status");
    v.ThrowIfInvalid();
    auto page = schedule_.ListGroups(call.caller(), *req);
    for (auto& g : page.items) *resp->add_groups() = std::move(g);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::UpdateGroup(CallbackServerContext* ctx, const v1::UpdateGroupRequest* req,
                                               v1::Group* resp) {
  return runner_.Unary(ctx, *req, {"UpdateGroup", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->group().id().empty(), "group.id", "is required");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.UpdateGroup(
        call.caller(), req->group().id(), req->group().etag(),
        [&](const v1::Group& current) {
          v1::Group next = ApplyGroupMask(current, req->group(), req->update_mask());
          errors::Validator checks;
          CheckGroup(checks, next, /*creating=*/false);
          checks.ThrowIfInvalid();
          return next;
        },
        {"UpdateGroup", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::CloseGroup(CallbackServerContext* ctx, const v1::CloseGroupRequest* req,
                                              v1::Group* resp) {
  return runner_.Unary(ctx, *req, {"CloseGroup", Permission::kEnrollmentWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->id().empty(), "id", "is required");
    v.Require(req->end_date().empty() || domain::ParseDate(req->end_date()).has_value(), "end_date",
              "must be a \"YYYY-MM-DD\" date");
    v.Require(req->reason().size() <= 500, "reason", "must be at most 500 bytes");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = schedule_.CloseGroup(call.caller(), *req, {"CloseGroup", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

}  // namespace iop::scheduling::api
