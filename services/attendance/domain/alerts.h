// Attendance alerts, computed from the records as of one date (they keep no
// state of their own). Thresholds come from the program (ProgramRules).
#pragma once

#include <string>
#include <vector>

#include "attendance/domain/summary.h"

namespace iop::attendance::domain {

// Same numbers as iop.attendance.v1.AlertKind.
enum class AlertKind { kUnspecified = 0, kConsecutiveAbsences = 1, kBelowMinHours = 2, kLowAttendanceRate = 3 };

struct Alert {
  AlertKind kind = AlertKind::kUnspecified;
  std::string client_id;
  std::string group_id;
  std::string program_id;
  std::string site_id;
  std::string detail;
  double value = 0;
  double threshold = 0;
  absl::CivilDay since;
};

// Days in the LOW_ATTENDANCE_RATE window, ending on on_date.
constexpr int kRateWindowDays = 28;

// Alerts of one client as of `on_date` from its recorded sessions (any
// order; sessions after on_date are ignored):
// - CONSECUTIVE_ABSENCES: the current unexcused streak (see summary.h) is at
//   least the threshold of the latest absence's program.
// - BELOW_MIN_HOURS: in the last complete week before on_date the client has
//   records and attended fewer hours than the strictest program minimum of
//   that week.
// - LOW_ATTENDANCE_RATE: over the 28 days ending on on_date, attended /
//   recorded sessions is below the strictest program's min_attendance_rate.
std::vector<Alert> ClientAlerts(const std::string& client_id, const std::vector<SessionFact>& recorded,
                                absl::CivilDay on_date, const RulesByProgram& rules);

// Order of ListAttendanceAlerts: kind, then since (oldest first), then client.
bool AlertBefore(const Alert& a, const Alert& b);

}  // namespace iop::attendance::domain
