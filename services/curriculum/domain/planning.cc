#include "curriculum/domain/planning.h"

#include <algorithm>

namespace iop::curriculum::domain {

std::vector<TrackStep> Flatten(const std::vector<Module>& modules) {
  std::vector<TrackStep> steps;
  for (const auto& m : modules) {
    for (const auto& lesson_id : m.lesson_ids) {
      steps.push_back({lesson_id, m.title, static_cast<int>(steps.size()) + 1});
    }
  }
  return steps;
}

Position NextPosition(const std::string& track_id, int length, const std::optional<Position>& last) {
  if (!last || last->track_id != track_id || last->cycle < 1 || last->sequence < 1) {
    return {track_id, 1, 1};
  }
  if (last->sequence >= length) return {track_id, 1, last->cycle + 1};
  return {track_id, last->sequence + 1, last->cycle};
}

PlanResult PlanSessions(const PlanInput& input) {
  PlanResult result;
  std::vector<SessionSlot> sessions = input.sessions;
  std::stable_sort(sessions.begin(), sessions.end(), [](const SessionSlot& a, const SessionSlot& b) {
    return a.start_micros != b.start_micros ? a.start_micros < b.start_micros : a.id < b.id;
  });
  const int length = static_cast<int>(input.steps.size());
  if (length == 0) return result;

  std::optional<Position> cursor = input.last_before;
  for (const SessionSlot& s : sessions) {
    if (s.cancelled) continue;
    if (input.delivered.count(s.id) > 0) {
      auto kept = input.delivered_plans.find(s.id);
      if (kept == input.delivered_plans.end()) continue;
      PlannedSession plan = kept->second;
      plan.kept = true;
      result.plans.push_back(plan);
      if (plan.track_id == input.track_id) cursor = Position{plan.track_id, plan.sequence, plan.cycle};
      continue;
    }
    Position next = NextPosition(input.track_id, length, cursor);
    const TrackStep& step = input.steps[next.sequence - 1];
    auto minutes = input.lesson_minutes.find(step.lesson_id);
    const int lesson_minutes = minutes == input.lesson_minutes.end() ? 0 : minutes->second;
    if (!FitsSession(lesson_minutes, s.minutes)) {
      result.too_long.push_back({s.id, step.lesson_id, lesson_minutes, s.minutes});
    }
    result.plans.push_back(
        {s.id, input.track_id, step.lesson_id, step.module, next.sequence, next.cycle, false});
    cursor = next;
  }
  return result;
}

}  // namespace iop::curriculum::domain
