// Conversions between the contract's messages and the domain's plain
// structs, and field-mask merges for updates.
#pragma once

#include <string>
#include <vector>

#include "curriculum/domain/lesson.h"
#include "iop/curriculum/v1/curriculum.pb.h"

namespace iop::curriculum::store {

namespace v1 = ::iop::curriculum::v1;

domain::Lesson ToDomain(const v1::Lesson& lesson);
domain::Track ToDomain(const v1::Track& track);
std::vector<domain::PhaseKind> ToDomain(const google::protobuf::RepeatedField<int>& kinds);

// A built-in lesson or track as the contract shows it: built_in, no org,
// fixed etag and times.
v1::Lesson BuiltInLesson(const domain::Lesson& lesson);
v1::Track BuiltInTrack(const domain::Track& track);

// Mutable fields of each resource, as update_mask paths.
const std::vector<std::string>& LessonMutablePaths();
const std::vector<std::string>& TrackMutablePaths();

// The paths an update changes: the mask's, or with an empty mask every
// mutable field set to a non-default value in `patch`.
std::vector<std::string> LessonUpdatePaths(const v1::Lesson& patch, const std::vector<std::string>& mask);
std::vector<std::string> TrackUpdatePaths(const v1::Track& patch, const std::vector<std::string>& mask);

// Copies the fields named by `paths` from `patch` into `target`.
void MergeLesson(v1::Lesson& target, const v1::Lesson& patch, const std::vector<std::string>& paths);
void MergeTrack(v1::Track& target, const v1::Track& patch, const std::vector<std::string>& paths);

}  // namespace iop::curriculum::store
