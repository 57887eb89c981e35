// The built-in starter library: lessons and tracks every org can read and
// none can change. Held as data in the binary (library_data.cc) with ids
// that never change, so plans and tracks that point at them stay valid; no
// org gets a copy unless it asks for one (CopyTrack).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "curriculum/domain/lesson.h"

namespace iop::curriculum::domain {

// Every built-in id starts with this; generated ids (UUIDs) never do.
inline constexpr std::string_view kBuiltInPrefix = "builtin-";

bool IsBuiltInId(std::string_view id);

class Library {
 public:
  Library(std::vector<Lesson> lessons, std::vector<Track> tracks);

  const std::vector<Lesson>& lessons() const { return lessons_; }
  const std::vector<Track>& tracks() const { return tracks_; }
  const Lesson* FindLesson(std::string_view id) const;
  const Track* FindTrack(std::string_view id) const;

 private:
  std::vector<Lesson> lessons_;
  std::vector<Track> tracks_;
};

// The starter library, built once.
const Library& StarterLibrary();

}  // namespace iop::curriculum::domain
