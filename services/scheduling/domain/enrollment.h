// Enrollment rules: who is on a session's roster, where a promoted client
// starts, and how a week's scheduled hours compare with a program's bounds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace iop::scheduling::domain {

// A membership that holds (or held) a seat: the only kind on rosters.
struct SeatedMember {
  std::string membership_id;
  std::string client_id;
  std::string display_name;
  absl::CivilDay start_date;
  std::optional<absl::CivilDay> end_date;  // inclusive
};

// True when the member is expected on `day`.
bool ActiveOn(const SeatedMember& m, absl::CivilDay day);

// Members expected on `day`, ordered by display_name then client_id.
std::vector<SeatedMember> RosterOn(const std::vector<SeatedMember>& members, absl::CivilDay day);

// Compact text form for the cache (display names cannot hold tabs or
// newlines; CheckDisplayName rejects control characters).
std::string EncodeMembers(const std::vector<SeatedMember>& members);
std::optional<std::vector<SeatedMember>> DecodeMembers(const std::string& text);

// A waitlisted client promoted because a seat freed after `freed_on` starts
// on the later of its requested date and the day after.
absl::CivilDay PromotedStart(absl::CivilDay requested, absl::CivilDay freed_on);

enum class Intensity { kBelow, kWithin, kAbove };

// Bounds inclusive: min <= hours <= max is within. A small tolerance keeps
// sums of minutes (e.g. 3 × 180 min) from falling out by rounding.
Intensity ClassifyIntensity(double hours, double min_hours, double max_hours);

}  // namespace iop::scheduling::domain
