// Page tokens for lists ordered by something other than insertion order
// (groups by display_name, sessions by start_time then id): the token holds
// the sort key of the last row returned and a tag of the request's filters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iop::scheduling::domain {

std::string EncodeCursor(const std::vector<std::string>& key, std::string_view filters);

// Empty token → empty key. Throws errors::RpcError INVALID_ARGUMENT naming
// "page_token" when the token is malformed or was made for other filters.
std::vector<std::string> DecodeCursor(std::string_view token, std::string_view filters,
                                      size_t key_parts);

}  // namespace iop::scheduling::domain
