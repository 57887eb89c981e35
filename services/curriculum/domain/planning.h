// Assigning a track's lessons to a group's sessions. The track is walked in
// order (modules in order, lessons in order within each) and starts again
// at the first module after the last, so a client admitted in any week
// meets every lesson once the cycle comes round. Pure: sessions, plans and
// lessons come in as plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "curriculum/domain/lesson.h"

namespace iop::curriculum::domain {

// One lesson at its place in a track: sequence is 1-based over the whole
// track (modules in order).
struct TrackStep {
  std::string lesson_id;
  std::string module;
  int sequence = 0;
};

std::vector<TrackStep> Flatten(const std::vector<Module>& modules);

// Where a plan sits in a track: which pass (cycle, 1 = first) and which step.
struct Position {
  std::string track_id;
  int sequence = 0;
  int cycle = 0;
};

// The step after `last` in a track of `length` steps: the first step of the
// first cycle when nothing was planned before or the last plan followed
// another track; wraps to the next cycle after the last step (also when the
// track became shorter than `last.sequence`).
Position NextPosition(const std::string& track_id, int length, const std::optional<Position>& last);

struct SessionSlot {
  std::string id;
  int64_t start_micros = 0;
  int minutes = 0;  // the session's length
  bool cancelled = false;
};

struct PlannedSession {
  std::string session_id;
  std::string track_id;
  std::string lesson_id;
  std::string module;
  int sequence = 0;
  int cycle = 0;
  bool kept = false;  // a delivered session's existing plan, left as it was
};

struct LessonTooLong {
  std::string session_id;
  std::string lesson_id;
  int lesson_minutes = 0;
  int session_minutes = 0;
};

struct PlanInput {
  std::string track_id;
  std::vector<TrackStep> steps;              // the track, flattened; not empty
  std::map<std::string, int> lesson_minutes;  // total minutes of every lesson in steps
  std::vector<SessionSlot> sessions;          // the group's sessions in the range
  std::optional<Position> last_before;        // the group's last plan before the range
  std::set<std::string> delivered;            // sessions with a recorded delivery
  std::map<std::string, PlannedSession> delivered_plans;  // their existing plans
};

struct PlanResult {
  std::vector<PlannedSession> plans;  // by session start, cancelled sessions left out
  std::vector<LessonTooLong> too_long;
};

// Plans every scheduled session of the range in start order. Cancelled
// sessions get nothing and do not use up a lesson. A delivered session keeps
// its plan and planning continues after it; a delivered session without a
// plan is left alone and uses up nothing. A lesson longer than the session
// it would land in is reported in too_long (the caller then writes nothing).
PlanResult PlanSessions(const PlanInput& input);

}  // namespace iop::curriculum::domain
