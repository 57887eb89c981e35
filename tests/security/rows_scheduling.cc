// Rows of iop.scheduling.v1.SchedulingService; roles as in the contract's
// "Callable by" lines (checked against the .proto by the suite).
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "security/matrix.h"

namespace iop::security {
namespace {

namespace v1 = ::iop::scheduling::v1;
using R = Reach;

constexpr unsigned kReaders = kAdmin | kClinician | kFrontDesk | kPartner;
constexpr unsigned kManagers = kAdmin | kClinician | kFrontDesk;

template <class Resp, class Req, class Rpc>
Resp ReadAsAdmin(const Build& b, Rpc rpc, const Req& req) {
  auto stub = v1::SchedulingService::NewStub(b.platform.scheduling.Channel());
  Resp out;
  grpc::Status s = (stub.get()->*rpc)(testing::WithToken(b.at.admin).get(), req, &out);
  if (!s.ok()) throw std::runtime_error("reading the current etag failed: " + s.error_message());
  return out;
}

std::string ProgramEtag(const Build& b) {
  v1::GetProgramRequest r;
  r.set_id(b.at.program);
  return ReadAsAdmin<v1::Program>(b, &v1::SchedulingService::Stub::GetProgram, r).etag();
}
std::string GroupEtag(const Build& b, const std::string& id) {
  v1::GetGroupRequest r;
  r.set_id(id);
  return ReadAsAdmin<v1::Group>(b, &v1::SchedulingService::Stub::GetGroup, r).etag();
}

}  // namespace

std::vector<Row> SchedulingRows() {
  auto client = [](const Place& p) { return p.client; };
  return {
      {.method = "CreateSite", .roles = kAdmin, .reach = R::kNothing, .client_data = false, .read_only = false,
       .request = Make<v1::CreateSiteRequest>([](auto& r, const Build& b) {
         r.mutable_site()->set_display_name("Annex");
         r.mutable_site()->set_time_zone("America/Chicago");
         r.set_request_id(b.request_id);
       }),
       .site_limited = grpc::StatusCode::PERMISSION_DENIED,
       .note = "a site-limited token cannot create sites: PERMISSION_DENIED"},
      {.method = "GetSite", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetSiteRequest>([](auto& r, const Build& b) { r.set_id(b.at.site); })},
      {.method = "ListSites", .roles = kReaders, .reach = R::kNothing, .client_data = false, .read_only = true,
       .request = Make<v1::ListSitesRequest>([](auto&, const Build&) {})},
      {.method = "CreateRoom", .roles = kAdmin, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CreateRoomRequest>([](auto& r, const Build& b) {
         r.mutable_room()->set_site_id(b.at.site);
         r.mutable_room()->set_display_name("Drill room");
         r.mutable_room()->set_capacity(8);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetRoom", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetRoomRequest>([](auto& r, const Build& b) { r.set_id(b.at.room); })},
      {.method = "ListRooms", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::ListRoomsRequest>([](auto& r, const Build& b) { r.set_site_id(b.at.site); })},
      {.method = "CreateStaff", .roles = kAdmin, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CreateStaffRequest>([](auto& r, const Build& b) {
         r.mutable_staff()->set_display_name("Drill facilitator");
         r.mutable_staff()->add_site_ids(b.at.site);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetStaff", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetStaffRequest>([](auto& r, const Build& b) { r.set_id(b.at.staff); })},
      {.method = "ListStaff", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::ListStaffRequest>([](auto& r, const Build& b) { r.set_site_id(b.at.site); })},
      {.method = "CreateClient", .roles = kManagers, .reach = R::kSite, .client_data = true, .read_only = false,
       .request = Make<v1::CreateClientRequest>([](auto& r, const Build& b) {
         r.mutable_client()->set_display_name("Drill client");
         r.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
         r.mutable_client()->set_site_id(b.at.site);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetClient", .roles = kReaders, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::GetClientRequest>([](auto& r, const Build& b) { r.set_id(b.at.client); }),
       .audited_id = client},
      {.method = "ListClients", .roles = kReaders, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::ListClientsRequest>([](auto& r, const Build& b) { r.set_site_id(b.at.site); }),
       .audited_id = client, .id_when_not_found = false},
      {.method = "CreateProgram", .roles = kAdmin, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CreateProgramRequest>([](auto& r, const Build& b) {
         auto* p = r.mutable_program();
         p->set_site_id(b.at.site);
         p->set_display_name("Adolescent IOP");
         p->set_age_group(v1::AGE_GROUP_ADOLESCENT);
         p->set_focus(v1::PROGRAM_FOCUS_CO_OCCURRING);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetProgram", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetProgramRequest>([](auto& r, const Build& b) { r.set_id(b.at.program); })},
      {.method = "ListPrograms", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::ListProgramsRequest>([](auto& r, const Build& b) { r.set_site_id(b.at.site); })},
      {.method = "UpdateProgram", .roles = kAdmin, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::UpdateProgramRequest>([](auto& r, const Build& b) {
         r.mutable_program()->set_id(b.at.program);
         r.mutable_program()->set_etag(ProgramEtag(b));
         r.mutable_program()->set_display_name("Adult IOP (evenings)");
         r.mutable_update_mask()->add_paths("display_name");
         r.set_request_id(b.request_id);
       })},
      {.method = "CreateGroup", .roles = kManagers, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CreateGroupRequest>([](auto& r, const Build& b) {
         auto* g = r.mutable_group();
         g->set_program_id(b.at.program);
         g->set_display_name("Wednesday skills");
         g->set_modality(::iop::common::v1::MODALITY_CBT);
         g->add_facilitator_ids(b.at.staff2);
         g->set_room_id(b.at.room2);
         auto* rec = g->mutable_recurrence();
         rec->add_weekdays(::iop::common::v1::WEEKDAY_WEDNESDAY);
         rec->set_start_local_time("10:00");
         rec->set_duration_minutes(90);
         rec->set_starts_on(b.at.starts_on);
         rec->set_ends_on(b.at.ends_on);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetGroup", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetGroupRequest>([](auto& r, const Build& b) { r.set_id(b.at.group); })},
      {.method = "ListGroups", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::ListGroupsRequest>([](auto& r, const Build& b) { r.set_program_id(b.at.program); })},
      {.method = "UpdateGroup", .roles = kManagers, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::UpdateGroupRequest>([](auto& r, const Build& b) {
         r.mutable_group()->set_id(b.at.group);
         r.mutable_group()->set_etag(GroupEtag(b, b.at.group));
         r.mutable_group()->set_display_name("Mindful Mondays (renamed)");
         r.mutable_update_mask()->add_paths("display_name");
         r.set_request_id(b.request_id);
       })},
      {.method = "CloseGroup", .roles = kManagers, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CloseGroupRequest>([](auto& r, const Build& b) {
         r.set_id(b.at.closable_group);
         r.set_etag(GroupEtag(b, b.at.closable_group));
         r.set_end_date(b.at.drill_weekday_day);
         r.set_reason("merged into the Monday group");
         r.set_request_id(b.request_id);
       })},
      {.method = "ListSessions", .roles = kReaders, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::ListSessionsRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         *r.mutable_start_time() = UtcAt(b.at.starts_on, 0, 0);
         *r.mutable_end_time() = UtcAt(b.at.starts_on, 14, 0);
       }),
       .audited_id = client, .note = "by client_id: the client's schedule"},
      {.method = "GetSession", .roles = kReaders, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetSessionRequest>([](auto& r, const Build& b) { r.set_id(b.at.session); })},
      {.method = "CreateSession", .roles = kManagers, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CreateSessionRequest>([](auto& r, const Build& b) {
         r.mutable_session()->set_group_id(b.at.group);
         *r.mutable_session()->mutable_start_time() = UtcAt(b.at.drill_weekday_day, 0, 19);
         *r.mutable_session()->mutable_end_time() = UtcAt(b.at.drill_weekday_day, 0, 21);
         r.set_request_id(b.request_id);
       })},
      {.method = "CancelSession", .roles = kManagers, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::CancelSessionRequest>([](auto& r, const Build& b) {
         r.set_id(b.at.cancel_session);
         r.set_reason("facilitator away");
         r.set_request_id(b.request_id);
       })},
      {.method = "RescheduleSession", .roles = kManagers, .reach = R::kSite, .client_data = false,
       .read_only = false, .request = Make<v1::RescheduleSessionRequest>([](auto& r, const Build& b) {
         r.set_id(b.at.reschedule_session);
         *r.mutable_start_time() = UtcAt(b.at.starts_on, 32, 19);  // Friday of the fifth week
         r.set_request_id(b.request_id);
       })},
      {.method = "EnrollClient", .roles = kManagers, .reach = R::kSite, .client_data = true, .read_only = false,
       .request = Make<v1::EnrollClientRequest>([](auto& r, const Build& b) {
         r.set_group_id(b.at.group);
         r.set_client_id(b.at.enroll_client);
         r.set_start_date(b.at.drill_weekday_day);
         r.set_request_id(b.request_id);
       }),
       .audited_id = [](const Place& p) { return p.enroll_client; }},
      {.method = "DischargeClient", .roles = kManagers, .reach = R::kSite, .client_data = true, .read_only = false,
       .request = Make<v1::DischargeClientRequest>([](auto& r, const Build& b) {
         r.set_group_id(b.at.group);
         r.set_client_id(b.at.discharge_client);
         r.set_end_date(b.at.drill_weekday_day);
         r.set_reason("moved away");
         r.set_request_id(b.request_id);
       }),
       .audited_id = [](const Place& p) { return p.discharge_client; }},
      {.method = "ListMemberships", .roles = kReaders, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::ListMembershipsRequest>([](auto& r, const Build& b) { r.set_client_id(b.at.client); }),
       .audited_id = client, .note = "by client_id"},
      {.method = "GetSessionRoster", .roles = kReaders, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::GetSessionRosterRequest>([](auto& r, const Build& b) { r.set_session_id(b.at.session); }),
       .audited_id = [](const Place& p) { return p.session; }},
      {.method = "GetClientIntensity", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetClientIntensityRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         r.set_week_start(b.at.week_start);
       }),
       .audited_id = client},
      {.method = "ListAuditEvents", .roles = kAdmin | kAuditor, .reach = R::kNothing, .client_data = true,
       .read_only = true, .request = Make<::iop::common::v1::ListAuditEventsRequest>([](auto& r, const Build&) {
         r.set_page_size(1);
       }),
       .note = "reading the audit log is itself audited (audit.proto)"},
  };
}

}  // namespace iop::security
