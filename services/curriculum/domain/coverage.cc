#include "curriculum/domain/coverage.h"

namespace iop::curriculum::domain {

bool Attended(AttendanceStatus status) {
  return status == AttendanceStatus::kPresent || status == AttendanceStatus::kLate ||
         status == AttendanceStatus::kLeftEarly;
}

std::optional<std::string> LessonTaught(const SessionTeaching& session, int64_t now_micros) {
  if (session.delivered_lesson_id) return session.delivered_lesson_id;
  if (session.planned_lesson_id && session.start_micros <= now_micros) return session.planned_lesson_id;
  return std::nullopt;
}

Coverage ComputeCoverage(const std::vector<Module>& modules, const std::set<std::string>& covered_lessons) {
  Coverage out;
  for (const Module& m : modules) {
    ModuleProgress progress;
    progress.module = m.title;
    std::set<std::string> seen;
    for (const auto& id : m.lesson_ids) {
      if (!seen.insert(id).second) continue;
      if (covered_lessons.count(id) > 0) progress.attended_lesson_ids.push_back(id);
    }
    progress.lessons_total = static_cast<int>(seen.size());
    progress.complete = static_cast<int>(progress.attended_lesson_ids.size()) == progress.lessons_total;
    if (progress.complete) ++out.modules_complete;
    out.modules.push_back(std::move(progress));
  }
  out.complete = !modules.empty() && out.modules_complete == static_cast<int>(modules.size());
  return out;
}

}  // namespace iop::curriculum::domain
