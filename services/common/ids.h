// Identifiers chosen by the service rather than by the database, for a write
// whose answer must be known before the statement that stores it runs.
#pragma once

#include <string>

namespace iop::ids {

// A random (version 4) UUID in its lower-case text form, as PostgreSQL's
// gen_random_uuid()::text writes it: 122 bits from the kernel's generator.
std::string NewUuid();

}  // namespace iop::ids
