#include "curriculum/domain/library.h"

namespace iop::curriculum::domain {

bool IsBuiltInId(std::string_view id) { return id.substr(0, kBuiltInPrefix.size()) == kBuiltInPrefix; }

Library::Library(std::vector<Lesson> lessons, std::vector<Track> tracks)
    : lessons_(std::move(lessons)), tracks_(std::move(tracks)) {}

const Lesson* Library::FindLesson(std::string_view id) const {
  for (const auto& l : lessons_) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

const Track* Library::FindTrack(std::string_view id) const {
  for (const auto& t : tracks_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

}  // namespace iop::curriculum::domain
