#include "curriculum/store/convert.h"

#include <algorithm>

namespace iop::curriculum::store {
namespace {

// A fixed instant for built-in rows (2024-01-01T00:00:00Z): they never change.
constexpr int64_t kBuiltInEpochSeconds = 1704067200;
constexpr char kBuiltInEtag[] = "builtin-1";

google::protobuf::Timestamp BuiltInTime() {
  google::protobuf::Timestamp t;
  t.set_seconds(kBuiltInEpochSeconds);
  return t;
}

bool Has(const std::vector<std::string>& paths, const char* path) {
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

}  // namespace

domain::Lesson ToDomain(const v1::Lesson& l) {
  domain::Lesson d;
  d.id = l.id();
  d.title = l.title();
  d.modality = static_cast<domain::Modality>(l.modality());
  d.module = l.module();
  d.objectives.assign(l.objectives().begin(), l.objectives().end());
  for (const auto& p : l.phases()) {
    d.phases.push_back({static_cast<domain::PhaseKind>(p.kind()), p.minutes(), p.description()});
  }
  d.materials.assign(l.materials().begin(), l.materials().end());
  d.homework = l.homework();
  return d;
}

domain::Track ToDomain(const v1::Track& t) {
  domain::Track d;
  d.id = t.id();
  d.title = t.title();
  d.modality = static_cast<domain::Modality>(t.modality());
  d.description = t.description();
  for (const auto& m : t.modules()) {
    d.modules.push_back({m.title(), {m.lesson_ids().begin(), m.lesson_ids().end()}});
  }
  d.rolling_admission = t.rolling_admission();
  return d;
}

std::vector<domain::PhaseKind> ToDomain(const google::protobuf::RepeatedField<int>& kinds) {
  std::vector<domain::PhaseKind> out;
  for (int k : kinds) out.push_back(static_cast<domain::PhaseKind>(k));
  return out;
}

v1::Lesson BuiltInLesson(const domain::Lesson& d) {
  v1::Lesson l;
  l.set_id(d.id);
  l.set_title(d.title);
  l.set_modality(static_cast<iop::common::v1::Modality>(d.modality));
  l.set_module(d.module);
  for (const auto& o : d.objectives) l.add_objectives(o);
  for (const auto& p : d.phases) {
    auto* phase = l.add_phases();
    phase->set_kind(static_cast<v1::PhaseKind>(p.kind));
    phase->set_minutes(p.minutes);
    phase->set_description(p.description);
  }
  for (const auto& m : d.materials) l.add_materials(m);
  l.set_homework(d.homework);
  l.set_built_in(true);
  l.set_total_minutes(domain::TotalMinutes(d.phases));
  l.set_etag(kBuiltInEtag);
  *l.mutable_create_time() = BuiltInTime();
  *l.mutable_update_time() = BuiltInTime();
  return l;
}

v1::Track BuiltInTrack(const domain::Track& d) {
  v1::Track t;
  t.set_id(d.id);
  t.set_title(d.title);
  t.set_modality(static_cast<iop::common::v1::Modality>(d.modality));
  t.set_description(d.description);
  for (const auto& m : d.modules) {
    auto* mod = t.add_modules();
    mod->set_title(m.title);
    for (const auto& id : m.lesson_ids) mod->add_lesson_ids(id);
  }
  t.set_rolling_admission(d.rolling_admission);
  t.set_built_in(true);
  t.set_etag(kBuiltInEtag);
  *t.mutable_create_time() = BuiltInTime();
  *t.mutable_update_time() = BuiltInTime();
  return t;
}

const std::vector<std::string>& LessonMutablePaths() {
  static const std::vector<std::string> paths = {"title",      "modality",  "module",  "objectives",
                                                 "phases",     "materials", "homework"};
  return paths;
}

const std::vector<std::string>& TrackMutablePaths() {
  static const std::vector<std::string> paths = {"title", "modality", "description", "modules",
                                                 "rolling_admission"};
  return paths;
}

std::vector<std::string> LessonUpdatePaths(const v1::Lesson& p, const std::vector<std::string>& mask) {
  if (!mask.empty()) return mask;
  std::vector<std::string> out;
  if (!p.title().empty()) out.push_back("title");
  if (p.modality() != 0) out.push_back("modality");
  if (!p.module().empty()) out.push_back("module");
  if (p.objectives_size() > 0) out.push_back("objectives");
  if (p.phases_size() > 0) out.push_back("phases");
  if (p.materials_size() > 0) out.push_back("materials");
  if (!p.homework().empty()) out.push_back("homework");
  return out;
}

std::vector<std::string> TrackUpdatePaths(const v1::Track& p, const std::vector<std::string>& mask) {
  if (!mask.empty()) return mask;
  std::vector<std::string> out;
  if (!p.title().empty()) out.push_back("title");
  if (p.modality() != 0) out.push_back("modality");
  if (!p.description().empty()) out.push_back("description");
  if (p.modules_size() > 0) out.push_back("modules");
  if (p.rolling_admission()) out.push_back("rolling_admission");
  return out;
}

void MergeLesson(v1::Lesson& t, const v1::Lesson& p, const std::vector<std::string>& paths) {
  if (Has(paths, "title")) t.set_title(p.title());
  if (Has(paths, "modality")) t.set_modality(p.modality());
  if (Has(paths, "module")) t.set_module(p.module());
  if (Has(paths, "objectives")) *t.mutable_objectives() = p.objectives();
  if (Has(paths, "phases")) *t.mutable_phases() = p.phases();
  if (Has(paths, "materials")) *t.mutable_materials() = p.materials();
  if (Has(paths, "homework")) t.set_homework(p.homework());
}

void MergeTrack(v1::Track& t, const v1::Track& p, const std::vector<std::string>& paths) {
  if (Has(paths, "title")) t.set_title(p.title());
  if (Has(paths, "modality")) t.set_modality(p.modality());
  if (Has(paths, "description")) t.set_description(p.description());
  if (Has(paths, "modules")) *t.mutable_modules() = p.modules();
  if (Has(paths, "rolling_admission")) t.set_rolling_admission(p.rolling_admission());
}

}  // namespace iop::curriculum::store
