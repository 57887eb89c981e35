// Handlers of the directory RPCs (sites, rooms, staff, clients, programs).
#include "common/audit_rpc.h"
#include "common/errors.h"
#include "scheduling/api/group_fields.h"
#include "scheduling/api/scheduling_api.h"
#include "scheduling/domain/directory.h"

namespace iop::scheduling::api {
namespace {

using auth::Permission;
using server::Call;

void CheckAgeGroup(errors::Validator& v, const std::string& field, v1::AgeGroup g) {
  v.Require(g == v1::AGE_GROUP_ADULT || g == v1::AGE_GROUP_ADOLESCENT, field,
            "must be AGE_GROUP_ADULT or AGE_GROUP_ADOLESCENT");
}

domain::AgeGroup ToDomain(v1::AgeGroup g) {
  return g == v1::AGE_GROUP_ADOLESCENT ? domain::AgeGroup::kAdolescent : domain::AgeGroup::kAdult;
}

// Fills level-of-care defaults into unset fields, then checks the result.
v1::Program WithProgramDefaults(const v1::Program& in) {
  v1::Program p = in;
  auto hours = domain::DefaultWeeklyHours(ToDomain(p.age_group()));
  if (p.min_weekly_hours() == 0) p.set_min_weekly_hours(hours.min);
  if (p.max_weekly_hours() == 0) p.set_max_weekly_hours(hours.max);
  if (p.daily_minimum_minutes() == 0) p.set_daily_minimum_minutes(domain::kDefaultDailyMinimumMinutes);
  if (p.consecutive_absence_threshold() == 0) {
    p.set_consecutive_absence_threshold(domain::kDefaultConsecutiveAbsenceThreshold);
  }
  if (p.min_attendance_rate() == 0) p.set_min_attendance_rate(domain::kDefaultMinAttendanceRate);
  return p;
}

}  // namespace

ServerUnaryReactor* SchedulingApi::CreateSite(CallbackServerContext* ctx,
                                              const v1::CreateSiteRequest* req, v1::Site* resp) {
  return runner_.Unary(ctx, *req, {"CreateSite", Permission::kOrgManage}, [=, this](Call& call) {
    const v1::Site& site = req->site();
    errors::Validator v;
    domain::CheckDisplayName(v, "site.display_name", site.display_name());
    v.Require(domain::IsIanaTimeZone(site.time_zone()), "site.time_zone",
              "\"" + site.time_zone() + "\" is not an IANA time zone such as \"America/New_York\"");
    v.Require(site.address().size() <= 500, "site.address", "must be at most 500 bytes");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    // A site-limited admin could not see the site it creates.
    if (call.caller().site_limited()) {
      errors::Throw(errors::PermissionDenied("site-limited tokens cannot create sites"));
    }
    *resp = directory_.CreateSite(call.caller(), site, {"CreateSite", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::GetSite(CallbackServerContext* ctx, const v1::GetSiteRequest* req,
                                           v1::Site* resp) {
  return runner_.UnaryRead(
      ctx, *req, {"GetSite", Permission::kScheduleRead},
      [=, this](const auth::Caller& caller) { return directory_.PeekSite(caller, req->id(), resp); },
      [=, this](Call& call) {
        *resp = directory_.GetSite(call.caller(), req->id());
      });
}

ServerUnaryReactor* SchedulingApi::ListSites(CallbackServerContext* ctx,
                                             const v1::ListSitesRequest* req,
                                             v1::ListSitesResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListSites", Permission::kScheduleRead}, [=, this](Call& call) {
    auto page = directory_.ListSites(call.caller(), *req);
    for (auto& s : page.items) *resp->add_sites() = std::move(s);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::CreateRoom(CallbackServerContext* ctx,
                                              const v1::CreateRoomRequest* req, v1::Room* resp) {
  return runner_.Unary(ctx, *req, {"CreateRoom", Permission::kOrgManage}, [=, this](Call& call) {
    const v1::Room& room = req->room();
    errors::Validator v;
    v.Require(!room.site_id().empty(), "room.site_id", "is required");
    domain::CheckDisplayName(v, "room.display_name", room.display_name());
    if (room.telehealth()) {
      v.Require(room.capacity() >= 0, "room.capacity", "must not be negative");
    } else {
      v.Require(room.capacity() >= 1 && room.capacity() <= 1000, "room.capacity",
                "must be from 1 to 1000 for a physical room");
    }
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = directory_.CreateRoom(call.caller(), room, {"CreateRoom", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::GetRoom(CallbackServerContext* ctx, const v1::GetRoomRequest* req,
                                           v1::Room* resp) {
  return runner_.UnaryRead(
      ctx, *req, {"GetRoom", Permission::kScheduleRead},
      [=, this](const auth::Caller& caller) { return directory_.PeekRoom(caller, req->id(), resp); },
      [=, this](Call& call) {
        *resp = directory_.GetRoom(call.caller(), req->id());
      });
}

ServerUnaryReactor* SchedulingApi::ListRooms(CallbackServerContext* ctx,
                                             const v1::ListRoomsRequest* req,
                                             v1::ListRoomsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListRooms", Permission::kScheduleRead}, [=, this](Call& call) {
    auto page = directory_.ListRooms(call.caller(), *req);
    for (auto& r : page.items) *resp->add_rooms() = std::move(r);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::CreateStaff(CallbackServerContext* ctx,
                                               const v1::CreateStaffRequest* req, v1::Staff* resp) {
  return runner_.Unary(ctx, *req, {"CreateStaff", Permission::kOrgManage}, [=, this](Call& call) {
    const v1::Staff& staff = req->staff();
    errors::Validator v;
    domain::CheckDisplayName(v, "staff.display_name", staff.display_name());
    v.Require(staff.credentials().size() <= 200, "staff.credentials", "must be at most 200 bytes");
    for (int i = 0; i < staff.site_ids_size(); ++i) {
      v.Require(!staff.site_ids(i).empty(), "staff.site_ids[" + std::to_string(i) + "]",
                "must not be empty");
    }
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    if (call.caller().site_limited() && staff.site_ids().empty()) {
      errors::Throw(errors::InvalidArgument(
          "staff.site_ids", "is required for a site-limited caller (empty means every site)"));
    }
    *resp = directory_.CreateStaff(call.caller(), staff, {"CreateStaff", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::GetStaff(CallbackServerContext* ctx,
                                            const v1::GetStaffRequest* req, v1::Staff* resp) {
  return runner_.UnaryRead(
      ctx, *req, {"GetStaff", Permission::kScheduleRead},
      [=, this](const auth::Caller& caller) { return directory_.PeekStaff(caller, req->id(), resp); },
      [=, this](Call& call) {
        *resp = directory_.GetStaff(call.caller(), req->id());
      });
}

ServerUnaryReactor* SchedulingApi::ListStaff(CallbackServerContext* ctx,
                                             const v1::ListStaffRequest* req,
                                             v1::ListStaffResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListStaff", Permission::kScheduleRead}, [=, this](Call& call) {
    auto page = directory_.ListStaff(call.caller(), *req);
    for (auto& s : page.items) *resp->add_staff() = std::move(s);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::CreateClient(CallbackServerContext* ctx,
                                                const v1::CreateClientRequest* req,
                                                v1::Client* resp) {
  return runner_.Unary(
      ctx, *req, {"CreateClient", Permission::kClientWrite, /*client_data=*/true}, [=, this](Call& call) {
        v1::Client client = req->client();
        errors::Validator v;
        domain::CheckDisplayName(v, "client.display_name", client.display_name());
        CheckAgeGroup(v, "client.age_group", client.age_group());
        v.Require(client.external_ref().size() <= domain::kMaxExternalRefLength,
                  "client.external_ref", "must be at most 128 bytes");
        CheckRequestId(v, req->request_id());
        const auth::Caller& caller = call.caller();
        if (client.site_id().empty() && caller.sites.size() == 1) client.set_site_id(caller.sites[0]);
        v.Require(!(client.site_id().empty() && caller.site_limited()), "client.site_id",
                  "is required for a site-limited caller");
        v.ThrowIfInvalid();
        *resp = directory_.CreateClient(caller, client, {"CreateClient", *req, req->request_id()});
        call.Touch(resp->id());
      });
}

ServerUnaryReactor* SchedulingApi::GetClient(CallbackServerContext* ctx,
                                             const v1::GetClientRequest* req, v1::Client* resp) {
  return runner_.Unary(ctx, *req, {"GetClient", Permission::kClientRead, true}, [=, this](Call& call) {
    call.Touch(req->id());
    *resp = directory_.GetClient(call.caller(), req->id());
  });
}

ServerUnaryReactor* SchedulingApi::ListClients(CallbackServerContext* ctx,
                                               const v1::ListClientsRequest* req,
                                               v1::ListClientsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListClients", Permission::kClientRead, true}, [=, this](Call& call) {
    auto page = directory_.ListClients(call.caller(), *req);
    for (auto& c : page.items) {
      call.Touch(c.id());
      *resp->add_clients() = std::move(c);
    }
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::CreateProgram(CallbackServerContext* ctx,
                                                 const v1::CreateProgramRequest* req,
                                                 v1::Program* resp) {
  return runner_.Unary(ctx, *req, {"CreateProgram", Permission::kOrgManage}, [=, this](Call& call) {
    errors::Validator v;
    const v1::Program& in = req->program();
    v.Require(!in.site_id().empty(), "program.site_id", "is required");
    domain::CheckDisplayName(v, "program.display_name", in.display_name());
    CheckAgeGroup(v, "program.age_group", in.age_group());
    v.Require(in.focus() != v1::PROGRAM_FOCUS_UNSPECIFIED && v1::ProgramFocus_IsValid(in.focus()),
              "program.focus", "must be MENTAL_HEALTH, SUBSTANCE_USE or CO_OCCURRING");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    v1::Program p = WithProgramDefaults(in);
    domain::CheckProgramBounds(v, p.min_weekly_hours(), p.max_weekly_hours(),
                               p.daily_minimum_minutes(), p.consecutive_absence_threshold(),
                               p.min_attendance_rate());
    v.ThrowIfInvalid();
    *resp = directory_.CreateProgram(call.caller(), p, {"CreateProgram", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* SchedulingApi::GetProgram(CallbackServerContext* ctx,
                                              const v1::GetProgramRequest* req, v1::Program* resp) {
  return runner_.UnaryRead(
      ctx, *req, {"GetProgram", Permission::kScheduleRead},
      [=, this](const auth::Caller& caller) { return directory_.PeekProgram(caller, req->id(), resp); },
      [=, this](Call& call) {
        *resp = directory_.GetProgram(call.caller(), req->id());
      });
}

ServerUnaryReactor* SchedulingApi::ListPrograms(CallbackServerContext* ctx,
                                                const v1::ListProgramsRequest* req,
                                                v1::ListProgramsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListPrograms", Permission::kScheduleRead}, [=, this](Call& call) {
    auto page = directory_.ListPrograms(call.caller(), *req);
    for (auto& p : page.items) *resp->add_programs() = std::move(p);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* SchedulingApi::ListAuditEvents(
    CallbackServerContext* ctx, const iop::common::v1::ListAuditEventsRequest* req,
    iop::common::v1::ListAuditEventsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListAuditEvents", Permission::kAuditRead, /*client_data=*/true}, [=, this](Call& call) {
    *resp = audit::ListAuditEvents(audit_, call.caller(), *req);
  });
}

}  // namespace iop::scheduling::api
