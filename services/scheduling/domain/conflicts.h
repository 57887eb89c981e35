// Double-booking rules: which existing sessions a new or changed set of
// sessions would collide with. Pure; the store loads the slots and locks
// what it checks.
//
// Horizon: a series is compared occurrence by occurrence over the dates it
// would meet, starting at the later of its first date and today. Open-ended
// series (and very long ones) are compared over kConflictHorizonDays from
// that start; collisions further out are found when a later change brings
// them inside the horizon of that change.
#pragma once

#include <string>
#include <vector>

#include "scheduling/domain/recurrence.h"

namespace iop::scheduling::domain {

constexpr int kConflictHorizonDays = 366;

enum class ConflictKind { kFacilitator, kRoom, kClient };

// "FACILITATOR_CONFLICT", "ROOM_CONFLICT", "CLIENT_CONFLICT".
const char* ConflictType(ConflictKind kind);

struct Conflict {
  ConflictKind kind;
  std::string other_session_id;  // the session already booked
  std::string session_id;        // the new or changed session it collides with
  std::string resource_id;       // facilitator, room or client id
  absl::Time other_start;
  absl::Time other_end;
};

// Last date to compare a series from `from` on (see the horizon above).
absl::CivilDay ConflictHorizonEnd(absl::CivilDay from, const std::optional<absl::CivilDay>& ends_on);

// True when [a.start, a.end) and [b.start, b.end) overlap.
bool Overlaps(const Slot& a, const Slot& b);

// Facilitator and room double-bookings of `candidates` against `others`.
// Cancelled sessions on either side never conflict, nor does a session with
// itself (same id). Each (kind, other session, resource) is reported once,
// ordered by the other session's start.
std::vector<Conflict> FindResourceConflicts(const std::vector<Slot>& candidates,
                                            const std::vector<Slot>& others);

// Sessions of `others` that a client attending `candidates` would also have
// to attend at the same time (kind kClient, resource = client_id).
std::vector<Conflict> FindClientConflicts(const std::string& client_id,
                                          const std::vector<Slot>& candidates,
                                          const std::vector<Slot>& others);

// Readable one-liner of a conflict for messages, e.g. "FACILITATOR_CONFLICT:
// staff s1 is booked at session g_20300107 (2030-01-07T14:00:00Z)".
std::string Describe(const Conflict& c);

}  // namespace iop::scheduling::domain
