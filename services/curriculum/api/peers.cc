#include "curriculum/api/peers.h"

#include "absl/time/civil_time.h"
#include "common/sql.h"

namespace iop::curriculum::api {
namespace {

// Attendance accepts ranges of up to 366 days; stay inside that.
constexpr int kAttendanceWindowDays = 365;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return sql::TimestampFromMicros(absl::ToUnixMicros(t));
}

std::string Date(absl::CivilDay d) { return absl::FormatCivilTime(d); }

}  // namespace

Peers::Peers(const config::Config& config)
    : scheduling_("scheduling", config.scheduling_addr, config.tls),
      attendance_("attendance", config.attendance_addr, config.tls),
      scheduling_stub_(sched::SchedulingService::NewStub(scheduling_.channel())),
      attendance_stub_(att::AttendanceService::NewStub(attendance_.channel())) {}

sched::Group Peers::GetGroup(const server::Call& call, const std::string& id) {
  sched::GetGroupRequest req;
  req.set_id(id);
  sched::Group out;
  scheduling_.Check(scheduling_stub_->GetGroup(scheduling_.ContextFor(call).get(), req, &out), "GetGroup");
  return out;
}

sched::Session Peers::GetSession(const server::Call& call, const std::string& id) {
  sched::GetSessionRequest req;
  req.set_id(id);
  sched::Session out;
  scheduling_.Check(scheduling_stub_->GetSession(scheduling_.ContextFor(call).get(), req, &out), "GetSession");
  return out;
}

std::vector<sched::Session> Peers::ListGroupSessions(const server::Call& call, const std::string& group_id,
                                                     absl::Time from, absl::Time to) {
  std::vector<sched::Session> out;
  sched::ListSessionsRequest req;
  req.set_group_id(group_id);
  *req.mutable_start_time() = ToProto(from);
  *req.mutable_end_time() = ToProto(to);
  req.set_page_size(500);
  for (int pages = 0; pages < 100; ++pages) {
    sched::ListSessionsResponse resp;
    scheduling_.Check(scheduling_stub_->ListSessions(scheduling_.ContextFor(call).get(), req, &resp),
                      "ListSessions");
    for (auto& s : *resp.mutable_sessions()) out.push_back(std::move(s));
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return out;
}

void Peers::RequireClient(const server::Call& call, const std::string& id) {
  sched::GetClientRequest req;
  req.set_id(id);
  sched::Client out;
  scheduling_.Check(scheduling_stub_->GetClient(scheduling_.ContextFor(call).get(), req, &out), "GetClient");
}

void Peers::RequireStaff(const server::Call& call, const std::string& id) {
  sched::GetStaffRequest req;
  req.set_id(id);
  sched::Staff out;
  scheduling_.Check(scheduling_stub_->GetStaff(scheduling_.ContextFor(call).get(), req, &out), "GetStaff");
}

std::vector<att::AttendanceRecord> Peers::ClientAttendance(const server::Call& call, const std::string& client_id,
                                                           absl::CivilDay first, absl::CivilDay last) {
  std::vector<att::AttendanceRecord> out;
  for (absl::CivilDay start = first; start <= last; start += kAttendanceWindowDays) {
    absl::CivilDay end = std::min(last, start + (kAttendanceWindowDays - 1));
    att::GetClientAttendanceRequest req;
    req.set_client_id(client_id);
    req.set_start_date(Date(start));
    req.set_end_date(Date(end));
    att::GetClientAttendanceResponse resp;
    attendance_.Check(attendance_stub_->GetClientAttendance(attendance_.ContextFor(call).get(), req, &resp),
                      "GetClientAttendance");
    for (auto& r : *resp.mutable_records()) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace iop::curriculum::api
