#include "curriculum/domain/lesson.h"

#include <algorithm>
#include <set>

namespace iop::curriculum::domain {
namespace {

void CheckText(errors::Validator& v, const std::string& field, const std::string& text, size_t max) {
  v.Require(text.size() <= max, field, "must be at most " + std::to_string(max) + " bytes");
}

void CheckList(errors::Validator& v, const std::string& field, const std::vector<std::string>& items) {
  v.Require(items.size() <= kMaxListItems, field,
            "must have at most " + std::to_string(kMaxListItems) + " entries");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item_field = field + "[" + std::to_string(i) + "]";
    v.Require(!items[i].empty(), item_field, "must not be empty");
    CheckText(v, item_field, items[i], 1000);
  }
}

}  // namespace

bool IsKnownModality(int value) { return value >= 1 && value <= 7; }
bool IsKnownPhaseKind(int value) { return value >= 1 && value <= 5; }

int TotalMinutes(const std::vector<Phase>& phases) {
  int total = 0;
  for (const auto& p : phases) total += std::max(p.minutes, 0);
  return total;
}

bool FitsSession(int lesson_minutes, int session_minutes) { return lesson_minutes <= session_minutes; }

void CheckLesson(errors::Validator& v, const std::string& prefix, const Lesson& lesson) {
  v.Require(!lesson.title.empty(), prefix + ".title", "is required");
  CheckText(v, prefix + ".title", lesson.title, kMaxTitleLength);
  v.Require(IsKnownModality(static_cast<int>(lesson.modality)), prefix + ".modality",
            "must be set to a known modality such as MODALITY_DBT_SKILLS");
  CheckText(v, prefix + ".module", lesson.module, kMaxTitleLength);
  CheckList(v, prefix + ".objectives", lesson.objectives);
  CheckList(v, prefix + ".materials", lesson.materials);
  CheckText(v, prefix + ".homework", lesson.homework, kMaxTextLength);

  const std::string phases = prefix + ".phases";
  if (lesson.phases.empty()) {
    v.Add(phases, "must have at least one phase");
    return;
  }
  int previous_kind = 0;
  bool all_minutes_valid = true;
  for (size_t i = 0; i < lesson.phases.size(); ++i) {
    const Phase& p = lesson.phases[i];
    const std::string field = phases + "[" + std::to_string(i) + "]";
    const int kind = static_cast<int>(p.kind);
    if (!IsKnownPhaseKind(kind)) {
      v.Add(field + ".kind", "must be set (CHECK_IN, SKILL_INTRO, ACTIVITY, FEEDBACK or WRAP_UP)");
    } else if (kind < previous_kind) {
      v.Add(field + ".kind",
            "goes back in session order (check-in, skill intro, activity, feedback, wrap-up)");
    } else {
      previous_kind = kind;
    }
    if (p.minutes < 1) {
      v.Add(field + ".minutes", "must be at least 1");
      all_minutes_valid = false;
    }
    CheckText(v, field + ".description", p.description, kMaxTextLength);
  }
  // Sum in 64 bits: many huge phases must not wrap around to a small total.
  long long total = 0;
  for (const auto& p : lesson.phases) total += std::max(p.minutes, 0);
  if (all_minutes_valid && total > kMaxLessonMinutes) {
    v.Add(phases, "total " + std::to_string(total) + " minutes is over the " +
                      std::to_string(kMaxLessonMinutes) + "-minute maximum");
  }
}

void CheckTrack(errors::Validator& v, const std::string& prefix, const Track& track) {
  v.Require(!track.title.empty(), prefix + ".title", "is required");
  CheckText(v, prefix + ".title", track.title, kMaxTitleLength);
  v.Require(IsKnownModality(static_cast<int>(track.modality)), prefix + ".modality",
            "must be set to a known modality such as MODALITY_DBT_SKILLS");
  CheckText(v, prefix + ".description", track.description, kMaxTextLength);
  if (track.modules.empty()) v.Add(prefix + ".modules", "must have at least one module");
  v.Require(track.modules.size() <= kMaxListItems, prefix + ".modules",
            "must have at most " + std::to_string(kMaxListItems) + " modules");
  for (size_t m = 0; m < track.modules.size(); ++m) {
    const Module& mod = track.modules[m];
    const std::string field = prefix + ".modules[" + std::to_string(m) + "]";
    v.Require(!mod.title.empty(), field + ".title", "is required");
    CheckText(v, field + ".title", mod.title, kMaxTitleLength);
    v.Require(!mod.lesson_ids.empty(), field + ".lesson_ids", "must name at least one lesson");
    v.Require(mod.lesson_ids.size() <= 200, field + ".lesson_ids", "must name at most 200 lessons");
    for (size_t l = 0; l < mod.lesson_ids.size(); ++l) {
      v.Require(!mod.lesson_ids[l].empty(), field + ".lesson_ids[" + std::to_string(l) + "]",
                "must not be empty");
    }
  }
}

std::vector<PhaseKind> DistinctKinds(const std::vector<Phase>& phases) {
  std::set<int> kinds;
  for (const auto& p : phases) kinds.insert(static_cast<int>(p.kind));
  std::vector<PhaseKind> out;
  for (int k : kinds) out.push_back(static_cast<PhaseKind>(k));
  return out;
}

double FidelityScore(const std::vector<Phase>& lesson_phases, const std::vector<PhaseKind>& completed) {
  const auto kinds = DistinctKinds(lesson_phases);
  if (kinds.empty()) return 0;
  int done = 0;
  for (PhaseKind k : kinds) {
    if (std::find(completed.begin(), completed.end(), k) != completed.end()) ++done;
  }
  return static_cast<double>(done) / static_cast<double>(kinds.size());
}

}  // namespace iop::curriculum::domain
