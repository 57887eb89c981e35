// Request checks shared by the scheduling handlers: request ids, groups
// (create and after an update mask is applied), programs under a mask.
#pragma once

#include <google/protobuf/field_mask.pb.h>

#include <string>

#include "common/errors.h"
#include "iop/scheduling/v1/scheduling.pb.h"

namespace iop::scheduling::api {

namespace v1 = ::iop::scheduling::v1;

void CheckRequestId(errors::Validator& v, const std::string& request_id);

// Field checks of a group; `creating` allows min_size/max_size 0 (defaults).
void CheckGroup(errors::Validator& v, const v1::Group& g, bool creating);

// `current` with the fields named by `mask` (or, for an empty mask, every
// mutable field set in `in`) taken from `in`. INVALID_ARGUMENT naming
// "update_mask" for unknown or immutable paths.
v1::Group ApplyGroupMask(const v1::Group& current, const v1::Group& in,
                         const google::protobuf::FieldMask& mask);
v1::Program ApplyProgramMask(const v1::Program& current, const v1::Program& in,
                             const google::protobuf::FieldMask& mask);

}  // namespace iop::scheduling::api
