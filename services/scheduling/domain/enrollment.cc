#include "scheduling/domain/enrollment.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_split.h"
#include "scheduling/domain/recurrence.h"

namespace iop::scheduling::domain {

bool ActiveOn(const SeatedMember& m, absl::CivilDay day) {
  return m.start_date <= day && (!m.end_date || *m.end_date >= day);
}

std::vector<SeatedMember> RosterOn(const std::vector<SeatedMember>& members, absl::CivilDay day) {
  std::vector<SeatedMember> out;
  for (const auto& m : members) {
    if (ActiveOn(m, day)) out.push_back(m);
  }
  std::sort(out.begin(), out.end(), [](const SeatedMember& a, const SeatedMember& b) {
    return std::tie(a.display_name, a.client_id) < std::tie(b.display_name, b.client_id);
  });
  return out;
}

std::string EncodeMembers(const std::vector<SeatedMember>& members) {
  std::string out = "m1\n";
  for (const auto& m : members) {
    out += m.membership_id + '\t' + m.client_id + '\t' + FormatDate(m.start_date) + '\t' +
           (m.end_date ? FormatDate(*m.end_date) : "") + '\t' + m.display_name + '\n';
  }
  return out;
}

std::optional<std::vector<SeatedMember>> DecodeMembers(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != "m1") return std::nullopt;
  std::vector<SeatedMember> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], absl::MaxSplits('\t', 4));
    if (f.size() != 5) return std::nullopt;
    SeatedMember m;
    m.membership_id = f[0];
    m.client_id = f[1];
    auto start = ParseDate(f[2]);
    if (!start) return std::nullopt;
    m.start_date = *start;
    if (!f[3].empty()) {
      m.end_date = ParseDate(f[3]);
      if (!m.end_date) return std::nullopt;
    }
    m.display_name = f[4];
    out.push_back(std::move(m));
  }
  return out;
}

absl::CivilDay PromotedStart(absl::CivilDay requested, absl::CivilDay freed_on) {
  return std::max(requested, freed_on + 1);
}

Intensity ClassifyIntensity(double hours, double min_hours, double max_hours) {
  constexpr double kEpsilon = 1e-9;
  if (hours + kEpsilon < min_hours) return Intensity::kBelow;
  if (hours - kEpsilon > max_hours) return Intensity::kAbove;
  return Intensity::kWithin;
}

}  // namespace iop::scheduling::domain
