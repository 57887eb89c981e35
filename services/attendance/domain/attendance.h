// Rules of one attendance record: statuses, minutes attended, and what the
// facilitator's form may say. Pure functions: no gRPC, SQL or Redis.
#pragma once

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace iop::attendance::domain {

// Same numbers as iop.attendance.v1.AttendanceStatus, so stores and handlers
// convert with a cast.
enum class Status {
  kUnspecified = 0,
  kUnrecorded = 1,
  kPresent = 2,
  kLate = 3,
  kLeftEarly = 4,
  kAbsentExcused = 5,
  kAbsentUnexcused = 6,
};

constexpr size_t kMaxNoteLength = 2000;
constexpr int kMinMood = 0;
constexpr int kMaxMood = 10;

// PRESENT, LATE or LEFT_EARLY.
bool IsAttended(Status s);
// ABSENT_EXCUSED or ABSENT_UNEXCUSED.
bool IsAbsence(Status s);
// A status the attendance form may record (not UNSPECIFIED/UNRECORDED).
bool IsRecordable(Status s);
const char* StatusName(Status s);  // "PRESENT", ... for metrics labels

// Whole minutes of [from, to] that overlap [start, end]; 0 when disjoint.
int OverlapMinutes(absl::Time from, absl::Time to, absl::Time start, absl::Time end);

// Length of a session in whole minutes.
int SessionMinutes(absl::Time start, absl::Time end);

// What a form entry's minutes_attended means once stored:
// PRESENT with 0 → the whole session; LATE / LEFT_EARLY with 0 → the
// overlap of check-in..check-out with the session when both are known, else
// 0; absences → 0; any other value is kept as given (already validated).
int ResolveMinutes(Status status, int requested, absl::Time session_start, absl::Time session_end,
                   std::optional<absl::Time> check_in, std::optional<absl::Time> check_out);

// Why a form entry is invalid ("" when it is fine). `session_minutes` bounds
// minutes_attended.
std::string CheckEntry(Status status, int minutes_attended, size_t note_length, int session_minutes);

// Monday of the week holding `day` (weeks run Monday to Sunday).
absl::CivilDay WeekStart(absl::CivilDay day);

// Civil date of `t` in `zone`.
absl::CivilDay LocalDay(absl::Time t, absl::TimeZone zone);

// "YYYY-MM-DD" ↔ CivilDay; ParseDay is false on anything else.
bool ParseDay(const std::string& text, absl::CivilDay* out);
std::string FormatDay(absl::CivilDay day);

}  // namespace iop::attendance::domain
