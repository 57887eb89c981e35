// The answer of a cached single-object read from this replica's near copy
// (cache::Cache::Peek), without blocking: true when `out` holds an object
// the caller may see; false means "read it the blocking way", which also
// gives every error.
#pragma once

#include <string>

#include "common/auth.h"
#include "common/cache.h"

namespace iop::scheduling::store {

template <class T, class Visible>
bool PeekVisible(cache::Cache& cache, const auth::Caller& caller, const char* kind,
                 const std::string& id, T* out, Visible visible) {
  // Such ids are refused on the blocking way, with the field named.
  if (id.empty() || id.find('\0') != std::string::npos) return false;
  auto bytes = cache.Peek(cache::Key(caller.org, kind, id), kind);
  return bytes && out->ParseFromString(*bytes) && visible(caller, *out);
}

}  // namespace iop::scheduling::store
