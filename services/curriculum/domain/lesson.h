// Lessons and tracks as plain data, and the rules they must follow: phases
// in session order, lengths that fit a session, tracks of non-empty modules.
// Pure functions, no gRPC, SQL or Redis.
#pragma once

#include <string>
#include <vector>

#include "common/errors.h"

namespace iop::curriculum::domain {

// Same numbering as iop.curriculum.v1.PhaseKind; the order is session order.
enum class PhaseKind { kUnspecified = 0, kCheckIn = 1, kSkillIntro = 2, kActivity = 3, kFeedback = 4, kWrapUp = 5 };

// Same numbering as iop.common.v1.Modality.
enum class Modality {
  kUnspecified = 0,
  kCbt = 1,
  kDbtSkills = 2,
  kProcess = 3,
  kPsychoeducation = 4,
  kRelapsePrevention = 5,
  kTraumaInformed = 6,
  kCommunicationSkills = 7,
};

constexpr int kMaxLessonMinutes = 720;  // the longest session scheduling allows
constexpr size_t kMaxTitleLength = 200;
constexpr size_t kMaxTextLength = 4000;
constexpr size_t kMaxListItems = 50;

struct Phase {
  PhaseKind kind = PhaseKind::kUnspecified;
  int minutes = 0;
  std::string description;
};

struct Lesson {
  std::string id;
  std::string title;
  Modality modality = Modality::kUnspecified;
  std::string module;
  std::vector<std::string> objectives;
  std::vector<Phase> phases;
  std::vector<std::string> materials;
  std::string homework;
};

struct Module {
  std::string title;
  std::vector<std::string> lesson_ids;
};

struct Track {
  std::string id;
  std::string title;
  Modality modality = Modality::kUnspecified;
  std::string description;
  std::vector<Module> modules;
  bool rolling_admission = false;
};

bool IsKnownModality(int value);
bool IsKnownPhaseKind(int value);

int TotalMinutes(const std::vector<Phase>& phases);

// A lesson fits a session when its phases take no longer than the session.
bool FitsSession(int lesson_minutes, int session_minutes);

// Checks the lesson's fields, naming them under `prefix` ("lesson"):
// title, modality, phases (at least one, kinds set and never going back in
// session order, minutes >= 1, total <= 720), and text lengths.
void CheckLesson(errors::Validator& v, const std::string& prefix, const Lesson& lesson);

// Checks a track's title, modality and module shape (lesson ids are
// resolved by the store, which knows which lessons exist).
void CheckTrack(errors::Validator& v, const std::string& prefix, const Track& track);

// The distinct phase kinds of a lesson, in session order.
std::vector<PhaseKind> DistinctKinds(const std::vector<Phase>& phases);

// Share of the lesson's distinct phase kinds found in `completed`, 0 to 1.
double FidelityScore(const std::vector<Phase>& lesson_phases, const std::vector<PhaseKind>& completed);

}  // namespace iop::curriculum::domain
