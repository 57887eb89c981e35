// Which lessons of a track a client has covered: a lesson counts when the
// client attended a session where it was delivered or, for a session that
// has started with no delivery recorded, planned. A module is complete when
// every distinct lesson in it is covered, the track when every module is.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "curriculum/domain/lesson.h"

namespace iop::curriculum::domain {

// Same numbering as iop.attendance.v1.AttendanceStatus.
enum class AttendanceStatus {
  kUnspecified = 0,
  kUnrecorded = 1,
  kPresent = 2,
  kLate = 3,
  kLeftEarly = 4,
  kAbsentExcused = 5,
  kAbsentUnexcused = 6,
};

// PRESENT, LATE and LEFT_EARLY: the client was in the room for the lesson.
bool Attended(AttendanceStatus status);

// What curriculum knows of one session.
struct SessionTeaching {
  std::string session_id;
  std::optional<std::string> planned_lesson_id;
  std::optional<std::string> delivered_lesson_id;
  int64_t start_micros = 0;  // the session's start as last planned
};

// The lesson taught at a session: the delivered one, else the planned one
// once the session has started (at `now_micros`), else none.
std::optional<std::string> LessonTaught(const SessionTeaching& session, int64_t now_micros);

struct ModuleProgress {
  std::string module;
  std::vector<std::string> attended_lesson_ids;  // distinct, in module order
  int lessons_total = 0;                         // distinct lessons in the module
  bool complete = false;
};

struct Coverage {
  std::vector<ModuleProgress> modules;
  int modules_complete = 0;
  bool complete = false;
};

Coverage ComputeCoverage(const std::vector<Module>& modules, const std::set<std::string>& covered_lessons);

}  // namespace iop::curriculum::domain
