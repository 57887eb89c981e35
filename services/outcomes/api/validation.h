// Request checks shared by the outcomes handlers.
#pragma once

#include <string>

#include "common/errors.h"

namespace iop::outcomes::api {

inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxNoteCharacters = 2000;

inline void CheckRequestId(errors::Validator& v, const std::string& request_id) {
  v.Require(request_id.size() <= kMaxRequestIdLength, "request_id", "must be at most 128 bytes");
}

inline void CheckId(errors::Validator& v, const std::string& field, const std::string& id) {
  v.Require(!id.empty(), field, "is required");
  v.Require(id.size() <= kMaxIdLength, field, "must be at most 128 bytes");
}

// Characters, not bytes: a note in any script gets the same allowance.
inline size_t Utf8Length(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace iop::outcomes::api
