// Rows of iop.attendance.v1.AttendanceService: everything is about a
// session, group, site or client, so everything follows the site rules.
#include "iop/attendance/v1/attendance.grpc.pb.h"
#include "security/matrix.h"

namespace iop::security {
namespace {

namespace v1 = ::iop::attendance::v1;
using R = Reach;

constexpr unsigned kReaders = kAdmin | kClinician | kFrontDesk | kPartner;
constexpr unsigned kDesk = kAdmin | kClinician | kFrontDesk;
constexpr unsigned kClinical = kAdmin | kClinician;

// A watch that is allowed stays open: the first event (or an open stream at
// the deadline) means it started; a refusal ends it before any message.
grpc::Status OpenWatch(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& ctx, const google::protobuf::Message& req) {
  auto stub = v1::AttendanceService::NewStub(channel);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(800));
  auto reader = stub->WatchSessionAttendance(&ctx, static_cast<const v1::WatchSessionAttendanceRequest&>(req));
  v1::AttendanceEvent event;
  if (reader->Read(&event)) {
    ctx.TryCancel();
    reader->Finish();
    return grpc::Status::OK;
  }
  grpc::Status s = reader->Finish();
  return s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? grpc::Status::OK : s;
}

}  // namespace

std::vector<Row> AttendanceRows() {
  auto client = [](const Place& p) { return p.client; };
  auto session = [](const Place& p) { return p.session; };
  return {
      {.method = "CheckIn", .roles = kDesk, .reach = R::kSite, .client_data = true, .read_only = false,
       .request = Make<v1::CheckInRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.checkin_session);
         r.set_client_id(b.at.client);
         r.set_mood_rating(6);
         r.set_request_id(b.request_id);
       }),
       .audited_id = client},
      {.method = "CheckOut", .roles = kDesk, .reach = R::kSite, .client_data = true, .read_only = false,
       .request = Make<v1::CheckOutRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.checkin_session);
         r.set_client_id(b.at.client);
         r.set_request_id(b.request_id);
       }),
       .audited_id = client},
      {.method = "RecordAttendance", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = false, .request = Make<v1::RecordAttendanceRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.session);
         auto* e = r.add_entries();
         e->set_client_id(b.at.client);
         e->set_status(v1::ATTENDANCE_STATUS_LATE);
         e->set_minutes_attended(100);
         r.set_request_id(b.request_id);
       }),
       .audited_id = client},
      {.method = "GetSessionAttendance", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true,
       .request = Make<v1::GetSessionAttendanceRequest>([](auto& r, const Build& b) { r.set_session_id(b.at.session); }),
       .audited_id = session},
      {.method = "GetAttendanceHistory", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetAttendanceHistoryRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.session);
         r.set_client_id(b.at.client);
       }),
       .audited_id = client},
      {.method = "GetClientAttendance", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetClientAttendanceRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         r.set_start_date(b.at.starts_on);
         r.set_end_date(b.at.ends_on);
       }),
       .audited_id = client},
      {.method = "GetGroupAttendanceStats", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetGroupAttendanceStatsRequest>([](auto& r, const Build& b) {
         r.set_group_id(b.at.group);
         r.set_start_date(b.at.starts_on);
         r.set_end_date(b.at.ends_on);
       }),
       .audited_id = [](const Place& p) { return p.group; }},
      {.method = "ListAttendanceAlerts", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true,
       .request = Make<v1::ListAttendanceAlertsRequest>([](auto& r, const Build& b) { r.set_site_id(b.at.site); }),
       .note = "by site_id"},
      {.method = "WatchSessionAttendance", .roles = kReaders, .reach = R::kSite, .client_data = true,
       .read_only = true,
       .request = Make<v1::WatchSessionAttendanceRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.checkin_session);
       }),
       .audited_id = [](const Place& p) { return p.checkin_session; },
       .note = "server stream: fails before the first message", .invoke = OpenWatch},
      {.method = "ListAuditEvents", .roles = kAdmin | kAuditor, .reach = R::kNothing, .client_data = true,
       .read_only = true, .request = Make<::iop::common::v1::ListAuditEventsRequest>([](auto& r, const Build&) {
         r.set_page_size(1);
       }),
       .note = "reading the audit log is itself audited (audit.proto)"},
  };
}

}  // namespace iop::security
