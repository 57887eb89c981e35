// What curriculum asks of scheduling and attendance, on the caller's
// behalf (credentials forwarded, deadline set, failures mapped by
// server::Downstream). Scheduling decides what the caller may see of
// groups, sessions, clients and staff.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/call.h"
#include "common/config.h"
#include "common/downstream.h"
#include "iop/attendance/v1/attendance.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"

namespace iop::curriculum::api {

namespace sched = ::iop::scheduling::v1;
namespace att = ::iop::attendance::v1;

class Peers {
 public:
  explicit Peers(const config::Config& config);

  sched::Group GetGroup(const server::Call& call, const std::string& id);
  sched::Session GetSession(const server::Call& call, const std::string& id);
  // Every session of the group (cancelled ones included) starting in [from, to).
  std::vector<sched::Session> ListGroupSessions(const server::Call& call, const std::string& group_id,
                                                absl::Time from, absl::Time to);
  void RequireClient(const server::Call& call, const std::string& id);
  void RequireStaff(const server::Call& call, const std::string& id);
  // The client's attendance records over [first, last] (any length; asked
  // for in windows the attendance service accepts).
  std::vector<att::AttendanceRecord> ClientAttendance(const server::Call& call, const std::string& client_id,
                                                      absl::CivilDay first, absl::CivilDay last);

 private:
  server::Downstream scheduling_;
  server::Downstream attendance_;
  std::unique_ptr<sched::SchedulingService::Stub> scheduling_stub_;
  std::unique_ptr<att::AttendanceService::Stub> attendance_stub_;
};

}  // namespace iop::curriculum::api
