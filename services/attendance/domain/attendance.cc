#include "attendance/domain/attendance.h"

#include <algorithm>

namespace iop::attendance::domain {

bool IsAttended(Status s) {
  return s == Status::kPresent || s == Status::kLate || s == Status::kLeftEarly;
}

bool IsAbsence(Status s) { return s == Status::kAbsentExcused || s == Status::kAbsentUnexcused; }

bool IsRecordable(Status s) { return IsAttended(s) || IsAbsence(s); }

const char* StatusName(Status s) {
  switch (s) {
    case Status::kUnspecified: return "UNSPECIFIED";
    case Status::kUnrecorded: return "UNRECORDED";
    case Status::kPresent: return "PRESENT";
    case Status::kLate: return "LATE";
    case Status::kLeftEarly: return "LEFT_EARLY";
    case Status::kAbsentExcused: return "ABSENT_EXCUSED";
    case Status::kAbsentUnexcused: return "ABSENT_UNEXCUSED";
  }
  return "UNSPECIFIED";
}

int OverlapMinutes(absl::Time from, absl::Time to, absl::Time start, absl::Time end) {
  absl::Time lo = std::max(from, start);
  absl::Time hi = std::min(to, end);
  if (hi <= lo) return 0;
  return static_cast<int>(absl::ToInt64Minutes(hi - lo));
}

int SessionMinutes(absl::Time start, absl::Time end) {
  if (end <= start) return 0;
  return static_cast<int>(absl::ToInt64Minutes(end - start));
}

int ResolveMinutes(Status status, int requested, absl::Time session_start, absl::Time session_end,
                   std::optional<absl::Time> check_in, std::optional<absl::Time> check_out) {
  if (IsAbsence(status)) return 0;
  if (requested > 0) return requested;
  if (status == Status::kPresent) return SessionMinutes(session_start, session_end);
  if (check_in && check_out) return OverlapMinutes(*check_in, *check_out, session_start, session_end);
  return 0;
}

std::string CheckEntry(Status status, int minutes_attended, size_t note_length, int session_minutes) {
  if (!IsRecordable(status)) {
    return "status: must be PRESENT, LATE, LEFT_EARLY, ABSENT_EXCUSED or ABSENT_UNEXCUSED";
  }
  if (minutes_attended < 0) return "minutes_attended: must not be negative";
  if (minutes_attended > session_minutes) {
    return "minutes_attended: " + std::to_string(minutes_attended) + " is longer than the session (" +
           std::to_string(session_minutes) + " minutes)";
  }
  if (IsAbsence(status) && minutes_attended != 0) {
    return "minutes_attended: must be 0 for an absence";
  }
  if (note_length > kMaxNoteLength) return "note: must be at most 2000 characters";
  return "";
}

absl::CivilDay WeekStart(absl::CivilDay day) {
  // GetWeekday counts from the civil calendar, so no clock arithmetic (and
  // no daylight-saving hour) is involved.
  return absl::PrevWeekday(day + 1, absl::Weekday::monday);
}

absl::CivilDay LocalDay(absl::Time t, absl::TimeZone zone) {
  return absl::CivilDay(absl::ToCivilSecond(t, zone));
}

bool ParseDay(const std::string& text, absl::CivilDay* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return false;
  if (FormatDay(day) != text) return false;  // rejects 2024-02-30 normalising to March
  *out = day;
  return true;
}

std::string FormatDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace iop::attendance::domain
