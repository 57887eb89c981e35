// List pagination shared by every service: page_size defaults and limits,
// and opaque page tokens for keyset pagination. A token is bound to the
// filters of the request that produced it, so reusing it with other filters
// is INVALID_ARGUMENT instead of a silently wrong page.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace iop::paging {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

struct Page {
  int size = kDefaultPageSize;  // rows to return
  int64_t after = 0;            // keyset position: rows with seq > after
};

// Validates page_size and page_token; throws errors::RpcError
// (INVALID_ARGUMENT naming "page_size" or "page_token").
// `filters` is any string that identifies the request's filters.
Page Parse(int32_t page_size, std::string_view page_token, std::string_view filters);

// Token for the page after the row with `last_seq`.
std::string NextToken(int64_t last_seq, std::string_view filters);

}  // namespace iop::paging
