#include "common/paging.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"

namespace iop::paging {
namespace {

constexpr std::string_view kVersion = "p1";

// Stable across processes and releases (FNV-1a), unlike std::hash.
std::string FilterTag(std::string_view filters) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : filters) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return std::to_string(h);
}

}  // namespace

Page Parse(int32_t page_size, std::string_view page_token, std::string_view filters) {
  Page page;
  if (page_size < 0) errors::Throw(errors::InvalidArgument("page_size", "must not be negative"));
  if (page_size > 0) page.size = std::min<int32_t>(page_size, kMaxPageSize);
  if (page_token.empty()) return page;
  std::string raw;
  auto bad = [] {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  };
  // Debian's absl::string_view is its own type, hence the std::string copies.
  if (!absl::WebSafeBase64Unescape(std::string(page_token), &raw)) bad();
  std::vector<std::string> parts = absl::StrSplit(raw, ':');
  if (parts.size() != 3 || parts[0] != kVersion || !absl::SimpleAtoi(parts[1], &page.after) ||
      page.after < 0) {
    bad();
  }
  if (parts[2] != FilterTag(filters)) {
    errors::Throw(errors::InvalidArgument(
        "page_token", "belongs to a request with other filters; start again without it"));
  }
  return page;
}

std::string NextToken(int64_t last_seq, std::string_view filters) {
  std::string raw = std::string(kVersion) + ":" + std::to_string(last_seq) + ":" + FilterTag(filters);
  return absl::WebSafeBase64Escape(raw);
}

}  // namespace iop::paging
