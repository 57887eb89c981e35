#include "attendance/domain/alerts.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace iop::attendance::domain {
namespace {

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The session that names group/program/site for an alert: the latest one.
const SessionFact* Latest(const std::vector<const SessionFact*>& in) {
  const SessionFact* latest = nullptr;
  for (const auto* s : in) {
    if (latest == nullptr || s->start > latest->start) latest = s;
  }
  return latest;
}

}  // namespace

std::vector<Alert> ClientAlerts(const std::string& client_id, const std::vector<SessionFact>& recorded,
                                absl::CivilDay on_date, const RulesByProgram& rules) {
  std::vector<Alert> out;
  std::vector<SessionFact> known;
  for (const auto& s : recorded) {
    if (s.status != Status::kUnrecorded && s.local_date <= on_date) known.push_back(s);
  }

  Streak streak = CurrentUnexcusedStreak(known, on_date);
  if (streak.length > 0) {
    int threshold = RulesFor(rules, streak.program_id).consecutive_absence_threshold;
    if (streak.length >= threshold) {
      out.push_back({AlertKind::kConsecutiveAbsences, client_id, streak.group_id, streak.program_id,
                     streak.site_id,
                     std::to_string(streak.length) + " unexcused absences in a row",
                     static_cast<double>(streak.length), static_cast<double>(threshold),
                     streak.since});
    }
  }

  const absl::CivilDay week = WeekStart(on_date) - 7;
  std::vector<const SessionFact*> in_week;
  for (const auto& s : known) {
    if (s.local_date >= week && s.local_date <= week + 6) in_week.push_back(&s);
  }
  if (!in_week.empty()) {
    double hours = 0;
    const SessionFact* strictest = in_week.front();
    for (const auto* s : in_week) {
      hours += s->minutes_attended / 60.0;
      if (RulesFor(rules, s->program_id).min_weekly_hours >
          RulesFor(rules, strictest->program_id).min_weekly_hours) {
        strictest = s;
      }
    }
    double minimum = RulesFor(rules, strictest->program_id).min_weekly_hours;
    if (hours < minimum) {
      const SessionFact* latest = Latest(in_week);
      out.push_back({AlertKind::kBelowMinHours, client_id, latest->group_id, strictest->program_id,
                     latest->site_id,
                     Fixed(hours, 1) + " hours attended in the week of " + FormatDay(week) +
                         ", below the minimum of " + Fixed(minimum, 1),
                     hours, minimum, week});
    }
  }

  const absl::CivilDay window_start = on_date - (kRateWindowDays - 1);
  std::vector<const SessionFact*> in_window;
  for (const auto& s : known) {
    if (s.local_date >= window_start) in_window.push_back(&s);
  }
  if (!in_window.empty()) {
    int attended = 0;
    const SessionFact* strictest = in_window.front();
    for (const auto* s : in_window) {
      if (IsAttended(s->status)) ++attended;
      if (RulesFor(rules, s->program_id).min_attendance_rate >
          RulesFor(rules, strictest->program_id).min_attendance_rate) {
        strictest = s;
      }
    }
    double rate = static_cast<double>(attended) / static_cast<double>(in_window.size());
    double minimum = RulesFor(rules, strictest->program_id).min_attendance_rate;
    if (rate < minimum) {
      const SessionFact* latest = Latest(in_window);
      out.push_back({AlertKind::kLowAttendanceRate, client_id, latest->group_id,
                     strictest->program_id, latest->site_id,
                     "attended " + std::to_string(attended) + " of " +
                         std::to_string(in_window.size()) + " recorded sessions in 28 days (" +
                         Fixed(rate * 100, 0) + "%), below " + Fixed(minimum * 100, 0) + "%",
                     rate, minimum, window_start});
    }
  }
  return out;
}

bool AlertBefore(const Alert& a, const Alert& b) {
  return std::tie(a.kind, a.since, a.client_id, a.group_id) <
         std::tie(b.kind, b.since, b.client_id, b.group_id);
}

}  // namespace iop::attendance::domain
