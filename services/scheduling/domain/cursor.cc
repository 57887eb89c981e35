#include "scheduling/domain/cursor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"

namespace iop::scheduling::domain {
namespace {

constexpr char kVersion[] = "c1";

// FNV-1a: stable across processes, unlike std::hash.
std::string FilterTag(std::string_view filters) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : filters) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return std::to_string(h);
}

}  // namespace

std::string EncodeCursor(const std::vector<std::string>& key, std::string_view filters) {
  std::vector<std::string> parts = {kVersion, FilterTag(filters)};
  // Each part escaped on its own, so a key containing the separator is safe.
  for (const auto& k : key) parts.push_back(absl::WebSafeBase64Escape(k));
  return absl::WebSafeBase64Escape(absl::StrJoin(parts, "."));
}

std::vector<std::string> DecodeCursor(std::string_view token, std::string_view filters,
                                      size_t key_parts) {
  if (token.empty()) return {};
  auto bad = [] {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(std::string(token), &raw)) bad();
  std::vector<std::string> parts = absl::StrSplit(raw, '.');
  if (parts.size() != key_parts + 2 || parts[0] != kVersion) bad();
  if (parts[1] != FilterTag(filters)) {
    errors::Throw(errors::InvalidArgument(
        "page_token", "belongs to a request with other filters; start again without it"));
  }
  std::vector<std::string> key;
  for (size_t i = 2; i < parts.size(); ++i) {
    std::string k;
    if (!absl::WebSafeBase64Unescape(parts[i], &k)) bad();
    key.push_back(std::move(k));
  }
  return key;
}

}  // namespace iop::scheduling::domain
