#include "scheduling/domain/directory.h"

#include "absl/time/time.h"

namespace iop::scheduling::domain {

bool IsIanaTimeZone(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "localtime") return false;
  // Zone names are Area/Location words; this also keeps paths out of the
  // tz loader ("../", absolute paths).
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  if (name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  absl::TimeZone tz;
  return absl::LoadTimeZone(std::string(name), &tz);
}

void CheckDisplayName(errors::Validator& v, const std::string& field, std::string_view name) {
  if (name.empty()) {
    v.Add(field, "is required");
    return;
  }
  if (name.size() > kMaxNameLength) {
    v.Add(field, "must be at most " + std::to_string(kMaxNameLength) + " bytes");
    return;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      v.Add(field, "must not contain control characters");
      return;
    }
  }
}

WeeklyHours DefaultWeeklyHours(AgeGroup group) {
  if (group == AgeGroup::kAdolescent) return {6, 19};
  return {9, 19};
}

void CheckProgramBounds(errors::Validator& v, double min_h, double max_h, int daily_minutes,
                        int absence_threshold, double min_rate) {
  constexpr double kHoursInWeek = 168;
  v.Require(min_h >= 0 && min_h <= kHoursInWeek, "program.min_weekly_hours",
            "must be from 0 to 168");
  v.Require(max_h >= min_h && max_h <= kHoursInWeek, "program.max_weekly_hours",
            "must be at least min_weekly_hours and at most 168");
  v.Require(daily_minutes > 0 && daily_minutes <= 24 * 60, "program.daily_minimum_minutes",
            "must be from 1 to 1440");
  v.Require(absence_threshold >= 1 && absence_threshold <= 100,
            "program.consecutive_absence_threshold", "must be from 1 to 100");
  v.Require(min_rate > 0 && min_rate <= 1, "program.min_attendance_rate",
            "must be above 0 and at most 1");
}

}  // namespace iop::scheduling::domain
