#include "attendance/domain/summary.h"

#include <algorithm>

namespace iop::attendance::domain {

ProgramRules RulesFor(const RulesByProgram& rules, const std::string& program_id) {
  auto it = rules.find(program_id);
  return it == rules.end() ? ProgramRules{} : it->second;
}

bool Counts(const SessionFact& s, absl::Time now) {
  return s.start <= now || s.status != Status::kUnrecorded;
}

namespace {

// With several programs in one week the strictest minimum applies; a week
// without sessions is held to the strictest program of the whole range.
double WeekMinimum(const std::vector<const SessionFact*>& in_week, double fallback,
                   const RulesByProgram& rules) {
  if (in_week.empty()) return fallback;
  double m = 0;
  for (const auto* s : in_week) m = std::max(m, RulesFor(rules, s->program_id).min_weekly_hours);
  return m;
}

}  // namespace

Summary Summarize(const std::vector<SessionFact>& sessions, absl::CivilDay first,
                  absl::CivilDay last, absl::Time now, absl::CivilDay today,
                  const RulesByProgram& rules) {
  Summary out;
  std::vector<const SessionFact*> in_range;
  for (const auto& s : sessions) {
    if (s.local_date >= first && s.local_date <= last) in_range.push_back(&s);
  }
  double range_minimum = 0;
  for (const auto* s : in_range) {
    range_minimum = std::max(range_minimum, RulesFor(rules, s->program_id).min_weekly_hours);
  }
  if (in_range.empty()) {
    for (const auto& [id, r] : rules) range_minimum = std::max(range_minimum, r.min_weekly_hours);
  }

  for (const auto* s : in_range) {
    if (!Counts(*s, now)) continue;
    ++out.sessions_scheduled;
    if (IsAttended(s->status)) ++out.sessions_attended;
    if (s->status == Status::kAbsentExcused) ++out.sessions_excused;
    if (s->status == Status::kAbsentUnexcused) ++out.sessions_unexcused;
    if (s->status == Status::kUnrecorded) ++out.sessions_unrecorded;
  }
  if (out.sessions_scheduled > 0) {
    out.attendance_rate = static_cast<double>(out.sessions_attended) / out.sessions_scheduled;
  }

  for (absl::CivilDay week = WeekStart(first); week <= last; week += 7) {
    WeekSummary w;
    w.week_start = week;
    std::vector<const SessionFact*> in_week;
    for (const auto* s : in_range) {
      if (WeekStart(s->local_date) != week) continue;
      in_week.push_back(s);
      w.hours_attended += s->minutes_attended / 60.0;
      w.hours_scheduled += absl::ToDoubleHours(s->end - s->start);
    }
    w.min_weekly_hours = WeekMinimum(in_week, range_minimum, rules);
    w.compliant = w.hours_attended >= w.min_weekly_hours;
    w.complete = week >= first && week + 6 <= last && week + 7 <= today;
    out.weeks.push_back(w);
  }

  std::map<absl::CivilDay, BillingDay> days;
  for (const auto* s : in_range) {
    if (s->minutes_attended <= 0) continue;
    BillingDay& d = days[s->local_date];
    d.date = s->local_date;
    d.minutes_attended += s->minutes_attended;
    d.daily_minimum_minutes =
        std::max(d.daily_minimum_minutes, RulesFor(rules, s->program_id).daily_minimum_minutes);
  }
  for (auto& [date, d] : days) {
    d.qualifies = d.minutes_attended >= d.daily_minimum_minutes;
    out.billing_days.push_back(d);
  }
  return out;
}

Streak CurrentUnexcusedStreak(std::vector<SessionFact> sessions, absl::CivilDay up_to) {
  std::sort(sessions.begin(), sessions.end(), [](const SessionFact& a, const SessionFact& b) {
    return a.start != b.start ? a.start > b.start : a.session_id > b.session_id;
  });
  Streak streak;
  for (const auto& s : sessions) {
    if (s.local_date > up_to || s.status == Status::kUnrecorded) continue;
    if (s.status == Status::kAbsentExcused) continue;  // neither breaks nor extends
    if (s.status != Status::kAbsentUnexcused) break;   // attended: the streak ends here
    if (streak.length == 0) {
      streak.group_id = s.group_id;
      streak.program_id = s.program_id;
      streak.site_id = s.site_id;
    }
    ++streak.length;
    streak.since = s.local_date;
  }
  return streak;
}

}  // namespace iop::attendance::domain
