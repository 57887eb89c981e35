// Whole-file reads for configuration material (keys, certificates).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace iop::files {

// The file's bytes, or "" when it cannot be read (callers check readability
// at configuration time, where the error names the variable).
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace iop::files
