// Versioned schema migrations, embedded in each binary (see
// cmake/IopHelpers.cmake) and applied at start under an advisory lock.
#pragma once

#include <string>
#include <vector>

namespace iop::migrations {

struct Migration {
  int version;       // from the file name prefix: 0001_sites.sql -> 1
  std::string name;  // file name without extension
  std::string sql;
};

}  // namespace iop::migrations
