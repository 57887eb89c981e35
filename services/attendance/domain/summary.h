// A client's attendance over a range, as clinicians and billing read it:
// counts, weekly hours against the program minimum, the unexcused-absence
// streak and per-diem billing days. Pure functions over plain facts.
//
// Weeks are civil weeks (Monday to Sunday) of the site's zone: a session
// belongs to the week of its local_date, never to a week found by adding
// 7×24 hours to an instant, so daylight-saving changes cannot move a
// session into the neighbouring week.
//
// Streak rule: only recorded sessions take part. An unexcused absence
// extends the streak, an attended session (PRESENT, LATE, LEFT_EARLY) ends
// it, and an excused absence neither breaks nor extends it: a client who was
// absent unexcused, then excused, then unexcused has a streak of 2.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "attendance/domain/attendance.h"

namespace iop::attendance::domain {

// One session of one client, with whatever was recorded for it.
struct SessionFact {
  std::string session_id;
  std::string group_id;
  std::string program_id;
  std::string site_id;
  absl::CivilDay local_date;
  absl::Time start;
  absl::Time end;
  Status status = Status::kUnrecorded;
  int minutes_attended = 0;
};

// The attendance thresholds a program carries (scheduling's Program).
struct ProgramRules {
  double min_weekly_hours = 9;
  int daily_minimum_minutes = 180;
  int consecutive_absence_threshold = 2;
  double min_attendance_rate = 0.8;
};
using RulesByProgram = std::map<std::string, ProgramRules>;

// Rules of `program_id`, or the defaults when the program is unknown.
ProgramRules RulesFor(const RulesByProgram& rules, const std::string& program_id);

struct WeekSummary {
  absl::CivilDay week_start;
  double hours_attended = 0;
  double hours_scheduled = 0;
  double min_weekly_hours = 0;
  bool compliant = false;
  bool complete = false;
};

struct BillingDay {
  absl::CivilDay date;
  int minutes_attended = 0;
  int daily_minimum_minutes = 0;
  bool qualifies = false;
};

struct Streak {
  int length = 0;
  absl::CivilDay since;   // date of the first absence of the streak
  std::string group_id;   // of the latest absence
  std::string program_id;
  std::string site_id;
};

struct Summary {
  int sessions_scheduled = 0;
  int sessions_attended = 0;
  int sessions_excused = 0;
  int sessions_unexcused = 0;
  int sessions_unrecorded = 0;
  double attendance_rate = 0;
  std::vector<WeekSummary> weeks;
  std::vector<BillingDay> billing_days;
};

// A session counts once it has started or has something recorded; future
// sessions with nothing recorded do not.
bool Counts(const SessionFact& s, absl::Time now);

// Totals over [first, last] of `sessions` (the client's rostered,
// non-cancelled sessions; others in the list are ignored by date). `today`
// is the current civil date, which decides whether a week is complete.
Summary Summarize(const std::vector<SessionFact>& sessions, absl::CivilDay first,
                  absl::CivilDay last, absl::Time now, absl::CivilDay today,
                  const RulesByProgram& rules);

// Current unexcused streak over `sessions` up to and including `up_to`.
Streak CurrentUnexcusedStreak(std::vector<SessionFact> sessions, absl::CivilDay up_to);

}  // namespace iop::attendance::domain
