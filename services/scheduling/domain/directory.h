// Rules for the scheduling directory (sites, rooms, staff, clients,
// programs): pure functions, no gRPC, SQL or Redis.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"

namespace iop::scheduling::domain {

enum class AgeGroup { kUnspecified = 0, kAdult = 1, kAdolescent = 2 };

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxExternalRefLength = 128;

// True for an IANA zone the host's tz database knows ("America/New_York").
// Rejects "", "localtime" and fixed-offset spellings, which would make
// sessions drift across daylight-saving changes.
bool IsIanaTimeZone(std::string_view name);

// Adds a violation for `field` when `name` is empty, too long or not
// printable text.
void CheckDisplayName(errors::Validator& v, const std::string& field, std::string_view name);

// Level-of-care hours per week (ASAM 2.1 IOP): adults 9–19, adolescents 6–19.
struct WeeklyHours {
  double min;
  double max;
};
WeeklyHours DefaultWeeklyHours(AgeGroup group);

// Defaults for attendance rules carried by a program.
constexpr int kDefaultDailyMinimumMinutes = 180;  // per-diem day qualification
constexpr int kDefaultConsecutiveAbsenceThreshold = 2;
constexpr double kDefaultMinAttendanceRate = 0.8;

// Checks a program's hour bounds and attendance thresholds (after defaults).
void CheckProgramBounds(errors::Validator& v, double min_weekly_hours, double max_weekly_hours,
                        int daily_minimum_minutes, int consecutive_absence_threshold,
                        double min_attendance_rate);

}  // namespace iop::scheduling::domain
