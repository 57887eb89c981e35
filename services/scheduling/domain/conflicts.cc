#include "scheduling/domain/conflicts.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace iop::scheduling::domain {
namespace {

// No session is longer than this (the contract caps lengths at 12 hours),
// which bounds how far back an overlapping session can start.
constexpr absl::Duration kLongestSession = absl::Hours(12);

template <class Match>
std::vector<Conflict> Sweep(const std::vector<Slot>& candidates, const std::vector<Slot>& others,
                            Match match) {
  std::vector<const Slot*> sorted;
  for (const Slot& o : others) {
    if (!o.cancelled) sorted.push_back(&o);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Slot* a, const Slot* b) {
    return a->start != b->start ? a->start < b->start : a->id < b->id;
  });
  std::vector<Conflict> out;
  std::set<std::tuple<int, std::string, std::string>> seen;
  for (const Slot& c : candidates) {
    if (c.cancelled) continue;
    auto it = std::lower_bound(sorted.begin(), sorted.end(), c.start - kLongestSession,
                               [](const Slot* s, absl::Time t) { return s->start < t; });
    for (; it != sorted.end() && (*it)->start < c.end; ++it) {
      const Slot& o = **it;
      if (o.id == c.id || !Overlaps(c, o)) continue;
      match(c, o, [&](ConflictKind kind, const std::string& resource) {
        if (seen.emplace(static_cast<int>(kind), o.id, resource).second) {
          out.push_back({kind, o.id, c.id, resource, o.start, o.end});
        }
      });
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Conflict& a, const Conflict& b) {
    return std::tie(a.other_start, a.other_session_id) < std::tie(b.other_start, b.other_session_id);
  });
  return out;
}

}  // namespace

const char* ConflictType(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::kFacilitator: return "FACILITATOR_CONFLICT";
    case ConflictKind::kRoom: return "ROOM_CONFLICT";
    case ConflictKind::kClient: return "CLIENT_CONFLICT";
  }
  return "CONFLICT";
}

absl::CivilDay ConflictHorizonEnd(absl::CivilDay from, const std::optional<absl::CivilDay>& ends_on) {
  const absl::CivilDay cap = from + kConflictHorizonDays;
  return ends_on ? std::min(*ends_on, cap) : cap;
}

bool Overlaps(const Slot& a, const Slot& b) { return a.start < b.end && b.start < a.end; }

std::vector<Conflict> FindResourceConflicts(const std::vector<Slot>& candidates,
                                            const std::vector<Slot>& others) {
  return Sweep(candidates, others, [](const Slot& c, const Slot& o, auto report) {
    for (const auto& f : c.facilitator_ids) {
      if (std::find(o.facilitator_ids.begin(), o.facilitator_ids.end(), f) != o.facilitator_ids.end()) {
        report(ConflictKind::kFacilitator, f);
      }
    }
    if (!c.room_id.empty() && c.room_id == o.room_id) report(ConflictKind::kRoom, c.room_id);
  });
}

std::vector<Conflict> FindClientConflicts(const std::string& client_id,
                                          const std::vector<Slot>& candidates,
                                          const std::vector<Slot>& others) {
  return Sweep(candidates, others, [&](const Slot&, const Slot&, auto report) {
    report(ConflictKind::kClient, client_id);
  });
}

std::string Describe(const Conflict& c) {
  const char* what = c.kind == ConflictKind::kFacilitator ? "staff "
                     : c.kind == ConflictKind::kRoom      ? "room "
                                                          : "client ";
  return std::string(ConflictType(c.kind)) + ": " + what + c.resource_id + " is booked at session " +
         c.other_session_id + " (" + absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", c.other_start, absl::UTCTimeZone()) +
         ")";
}

}  // namespace iop::scheduling::domain
