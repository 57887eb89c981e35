// Weekly recurrences expanded into sessions in a site's time zone, and the
// stable ids of those sessions. Pure: absl civil time only, no gRPC or SQL.
//
// Time-zone rule (the contract's Recurrence.start_local_time): a local start
// that does not exist on a spring-forward day starts at the transition
// instant, the first valid instant after it (02:30 in New York on
// 2024-03-10 → 03:00 EDT); a local start that occurs twice on a fall-back
// day uses the earlier instant (01:30 on 2024-11-03 → 01:30 EDT). Durations
// are elapsed minutes, so such a session ends `duration` minutes later in
// real time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace iop::scheduling::domain {

// ---- civil values -----------------------------------------------------------

// "YYYY-MM-DD" → day; nullopt when malformed or not a real date (2024-02-30).
std::optional<absl::CivilDay> ParseDate(std::string_view text);
std::string FormatDate(absl::CivilDay day);
// "HH:MM" (24-hour, two digits each) → minutes after midnight; nullopt for
// "25:00", "9:00", "12:60".
std::optional<int> ParseLocalTime(std::string_view text);
std::string FormatLocalTime(int minute_of_day);

// ISO weekday numbers: Monday = 1 ... Sunday = 7 (as iop.common.v1.Weekday).
int IsoWeekday(absl::CivilDay day);
// Bit (1 << iso) per weekday; 0 means none.
using WeekdayMask = unsigned;
WeekdayMask MaskOf(const std::vector<int>& iso_weekdays);
std::vector<int> WeekdaysOf(WeekdayMask mask);

// The instant `minute_of_day` on `day` in `tz` (rule in the file comment).
absl::Time LocalStart(const absl::TimeZone& tz, absl::CivilDay day, int minute_of_day);
// The site's current civil date.
absl::CivilDay TodayIn(const absl::TimeZone& tz, absl::Time now = absl::Now());

// ---- series ------------------------------------------------------------------

// What a group does from `valid_from` until the next plan.
struct Plan {
  absl::CivilDay valid_from;
  WeekdayMask weekdays = 0;
  int start_minute = 0;  // minutes after local midnight
  int duration_minutes = 0;
  std::vector<std::string> facilitator_ids;
  std::string room_id;
};

// A group's recurrence over its whole life.
struct Series {
  std::string group_id;
  std::string site_id;
  std::string program_id;
  absl::TimeZone tz;
  absl::CivilDay starts_on;
  std::optional<absl::CivilDay> ends_on;  // inclusive; nullopt = open ended
  std::vector<Plan> plans;                // any order; at least one
};

// One session as the rest of the service sees it, generated or stored.
struct Slot {
  std::string id;
  std::string group_id;
  absl::Time start;
  absl::Time end;
  absl::CivilDay local_date;  // of `start` in the site's zone
  int local_minute = 0;       // of `start`
  std::vector<std::string> facilitator_ids;
  std::string room_id;
  bool cancelled = false;
  bool one_off = false;
  bool rescheduled = false;
  std::optional<absl::Time> original_start;
  std::string cancel_reason;
  // The generated occurrence a stored row replaces (nullopt for one-offs).
  std::optional<absl::CivilDay> occurrence_date;
};

// Fills local_date and local_minute of `slot` from its start in `tz`.
void Localize(Slot& slot, const absl::TimeZone& tz);

// The plan in effect on `day`: the latest one with valid_from <= day, or the
// earliest plan for days before every valid_from.
const Plan& PlanOn(const Series& series, absl::CivilDay day);

// Generated occurrences with local dates in [from, to] (inclusive), by date.
std::vector<Slot> Expand(const Series& series, absl::CivilDay from, absl::CivilDay to);

// The occurrence of `series` on `day`, if the recurrence has one there.
std::optional<Slot> OccurrenceOn(const Series& series, absl::CivilDay day);

// Generated occurrences with stored rows applied: a stored row replaces the
// occurrence with the same id (changed sessions keep their values and id);
// stored one-offs are added. Ordered by start, then id.
std::vector<Slot> Merge(std::vector<Slot> generated, const std::vector<Slot>& stored);

// ---- ids ---------------------------------------------------------------------

// "<group_id>_<YYYYMMDD>": the same occurrence always has the same id.
std::string OccurrenceId(std::string_view group_id, absl::CivilDay day);
// "<group_id>_o<token>" for a one-off; `token` must be [0-9a-z].
std::string OneOffId(std::string_view group_id, std::string_view token);

struct ParsedSessionId {
  std::string group_id;
  std::optional<absl::CivilDay> occurrence_date;  // nullopt for one-offs
};
std::optional<ParsedSessionId> ParseSessionId(std::string_view id);

}  // namespace iop::scheduling::domain
