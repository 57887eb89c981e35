#include "scheduling/domain/recurrence.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

namespace iop::scheduling::domain {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<absl::CivilDay> ParseDate(std::string_view text) {
  int y, m, d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !Digits(text, 0, 4, &y) ||
      !Digits(text, 5, 2, &m) || !Digits(text, 8, 2, &d)) {
    return std::nullopt;
  }
  absl::CivilDay day(y, m, d);
  // CivilDay normalizes 2024-02-30 to March; a real date survives unchanged.
  if (day.year() != y || day.month() != m || day.day() != d || y < 1900) return std::nullopt;
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

std::optional<int> ParseLocalTime(std::string_view text) {
  int h, m;
  if (text.size() != 5 || text[2] != ':' || !Digits(text, 0, 2, &h) || !Digits(text, 3, 2, &m) ||
      h > 23 || m > 59) {
    return std::nullopt;
  }
  return h * 60 + m;
}

std::string FormatLocalTime(int minute_of_day) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute_of_day / 60, minute_of_day % 60);
  return buf;
}

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
    case absl::Weekday::sunday: return 7;
  }
  return 0;
}

WeekdayMask MaskOf(const std::vector<int>& iso_weekdays) {
  WeekdayMask mask = 0;
  for (int d : iso_weekdays) {
    if (d >= 1 && d <= 7) mask |= 1u << d;
  }
  return mask;
}

std::vector<int> WeekdaysOf(WeekdayMask mask) {
  std::vector<int> out;
  for (int d = 1; d <= 7; ++d) {
    if (mask & (1u << d)) out.push_back(d);
  }
  return out;
}

absl::Time LocalStart(const absl::TimeZone& tz, absl::CivilDay day, int minute_of_day) {
  const absl::CivilMinute local(day.year(), day.month(), day.day(), minute_of_day / 60,
                                minute_of_day % 60);
  const absl::TimeZone::TimeInfo info = tz.At(local);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE: return info.pre;
    // Spring forward: the wall clock jumps over this time; start when it lands.
    case absl::TimeZone::TimeInfo::SKIPPED: return info.trans;
    // Fall back: the wall clock shows this time twice; take the first.
    case absl::TimeZone::TimeInfo::REPEATED: return std::min(info.pre, info.post);
  }
  return info.pre;
}

absl::CivilDay TodayIn(const absl::TimeZone& tz, absl::Time now) {
  return absl::ToCivilDay(now, tz);
}

void Localize(Slot& slot, const absl::TimeZone& tz) {
  const absl::CivilMinute m = absl::ToCivilMinute(slot.start, tz);
  slot.local_date = absl::CivilDay(m);
  slot.local_minute = m.hour() * 60 + m.minute();
}

const Plan& PlanOn(const Series& series, absl::CivilDay day) {
  const Plan* best = nullptr;
  const Plan* earliest = nullptr;
  for (const Plan& p : series.plans) {
    if (earliest == nullptr || p.valid_from < earliest->valid_from) earliest = &p;
    if (p.valid_from <= day && (best == nullptr || p.valid_from > best->valid_from)) best = &p;
  }
  return best != nullptr ? *best : *earliest;
}

std::optional<Slot> OccurrenceOn(const Series& series, absl::CivilDay day) {
  if (series.plans.empty() || day < series.starts_on) return std::nullopt;
  if (series.ends_on && day > *series.ends_on) return std::nullopt;
  const Plan& plan = PlanOn(series, day);
  if (!(plan.weekdays & (1u << IsoWeekday(day)))) return std::nullopt;
  Slot s;
  s.id = OccurrenceId(series.group_id, day);
  s.group_id = series.group_id;
  s.start = LocalStart(series.tz, day, plan.start_minute);
  s.end = s.start + absl::Minutes(plan.duration_minutes);
  s.facilitator_ids = plan.facilitator_ids;
  s.room_id = plan.room_id;
  s.occurrence_date = day;
  Localize(s, series.tz);
  return s;
}

std::vector<Slot> Expand(const Series& series, absl::CivilDay from, absl::CivilDay to) {
  std::vector<Slot> out;
  if (series.plans.empty()) return out;
  from = std::max(from, series.starts_on);
  if (series.ends_on) to = std::min(to, *series.ends_on);
  for (absl::CivilDay d = from; d <= to; ++d) {
    if (auto s = OccurrenceOn(series, d)) out.push_back(std::move(*s));
  }
  return out;
}

std::vector<Slot> Merge(std::vector<Slot> generated, const std::vector<Slot>& stored) {
  std::vector<Slot> out;
  out.reserve(generated.size() + stored.size());
  std::unordered_set<std::string> replaced;
  for (const Slot& s : stored) replaced.insert(s.id);
  for (auto& g : generated) {
    if (!replaced.count(g.id)) out.push_back(std::move(g));
  }
  out.insert(out.end(), stored.begin(), stored.end());
  std::sort(out.begin(), out.end(), [](const Slot& a, const Slot& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  return out;
}

std::string OccurrenceId(std::string_view group_id, absl::CivilDay day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return std::string(group_id) + "_" + buf;
}

std::string OneOffId(std::string_view group_id, std::string_view token) {
  return std::string(group_id) + "_o" + std::string(token);
}

std::optional<ParsedSessionId> ParseSessionId(std::string_view id) {
  const size_t cut = id.rfind('_');
  if (cut == std::string_view::npos || cut == 0 || cut + 1 >= id.size()) return std::nullopt;
  ParsedSessionId out;
  out.group_id = std::string(id.substr(0, cut));
  std::string_view tail = id.substr(cut + 1);
  if (tail[0] == 'o') {
    if (tail.size() < 2) return std::nullopt;
    for (char c : tail.substr(1)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return std::nullopt;
    }
    return out;
  }
  if (tail.size() != 8) return std::nullopt;
  std::string dashed = std::string(tail.substr(0, 4)) + "-" + std::string(tail.substr(4, 2)) + "-" +
                       std::string(tail.substr(6, 2));
  out.occurrence_date = ParseDate(dashed);
  if (!out.occurrence_date) return std::nullopt;
  return out;
}

}  // namespace iop::scheduling::domain
