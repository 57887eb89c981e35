// Pure formatting and parsing helpers behind the readable iopctl output.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace google::protobuf {
class EnumDescriptor;
}

namespace iopctl {

// "Mon 2025-03-10 09:00-12:00 EDT" in the site's zone; an end on a later
// local day is marked "+1" ("23:30-01:00+1").
std::string FormatSessionTime(absl::Time start, absl::Time end, const absl::TimeZone& zone);
// "2025-03-10 09:00 EDT".
std::string FormatLocalTime(absl::Time when, const absl::TimeZone& zone);
// "2025-03-10" in the zone.
std::string FormatLocalDate(absl::Time when, const absl::TimeZone& zone);

// Monday on or before `day` (IOP weeks run Monday to Sunday).
absl::CivilDay WeekStart(absl::CivilDay day);
// Strict "YYYY-MM-DD"; false for anything else (including 2025-02-30).
bool ParseDate(const std::string& text, absl::CivilDay* day);

// "1,2,0, 3" -> {1,2,0,3}. On failure returns false and says which item is
// wrong in *error (1-based, as clinicians number items).
bool ParseAnswers(const std::string& text, std::vector<int>* answers, std::string* error);

// Value name without its enum's prefix: ("MODALITY_DBT_SKILLS", "MODALITY_")
// -> "DBT_SKILLS". Names without the prefix come back unchanged.
std::string StripEnumPrefix(const std::string& value_name, const std::string& prefix);
// Upper-snake prefix of an enum's values: "AttendanceStatus" -> "ATTENDANCE_STATUS_".
std::string EnumPrefix(const std::string& enum_name);
// Short label of an enum value: "PRESENT" for ATTENDANCE_STATUS_PRESENT.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number);
// Parses "present", "PRESENT", "absent-unexcused" or the full value name;
// returns -1 when no value matches (0, the unspecified value, never does).
int ParseEnum(const google::protobuf::EnumDescriptor* type, const std::string& text);
// The accepted short names, for error messages: "PRESENT, LATE, ...".
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

// 14 -> "14", 14.5 -> "14.5", -3.25 -> "-3.25" (at most two decimals).
std::string FormatNumber(double value);
// 0.857 -> "86%".
std::string FormatPercent(double share);

}  // namespace iopctl
