// Request strings become PostgreSQL text, cache keys and audit records.
// PostgreSQL text cannot hold U+0000 and libpq ends a text parameter at its
// first NUL byte, so a NUL would silently cut a value short: "<id>\0x" would
// read the record "<id>" while the audit insert refuses the NUL and the
// access goes unrecorded. CallRunner refuses such requests (after checking
// the caller) before any handler work runs.
#pragma once

#include <google/protobuf/message.h>

#include "common/errors.h"

namespace iop::errors {

// Adds a violation for every string field of `message` holding a NUL,
// named by its path: "note", "site.display_name", "entries[2].client_id".
void CheckNoNul(Validator& v, const google::protobuf::Message& message);

// Throws INVALID_ARGUMENT naming those fields, if there are any.
void RejectNul(const google::protobuf::Message& request);

}  // namespace iop::errors
