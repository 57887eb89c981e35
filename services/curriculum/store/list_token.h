// Page tokens for lists ordered by text keys (module, title, id) rather
// than by seq: built-in rows, which have no seq, interleave with the org's
// own by those keys. A token carries the last key returned and is bound to
// the request's filters like common/paging.h tokens.
#pragma once

#include <string>
#include <vector>

namespace iop::curriculum::store {

std::string EncodeKeyToken(const std::vector<std::string>& key, const std::string& filters);

// Empty vector for an empty token; throws errors::RpcError (INVALID_ARGUMENT
// page_token) for a token this list did not hand out, or one made with
// other filters or another number of key parts.
std::vector<std::string> DecodeKeyToken(const std::string& token, const std::string& filters,
                                        size_t key_parts);

}  // namespace iop::curriculum::store
