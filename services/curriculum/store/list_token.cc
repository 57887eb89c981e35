#include "curriculum/store/list_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/errors.h"

namespace iop::curriculum::store {
namespace {

constexpr char kVersion[] = "k1";

std::string Escape(const std::string& s) { return absl::WebSafeBase64Escape(s); }

}  // namespace

std::string EncodeKeyToken(const std::vector<std::string>& key, const std::string& filters) {
  // Base64 parts never contain '.', so the parts split back unambiguously.
  std::string raw = std::string(kVersion) + "." + Escape(filters);
  for (const auto& part : key) raw += "." + Escape(part);
  return Escape(raw);
}

std::vector<std::string> DecodeKeyToken(const std::string& token, const std::string& filters,
                                        size_t key_parts) {
  if (token.empty()) return {};
  auto bad = [] {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) bad();
  std::vector<std::string> parts = absl::StrSplit(raw, '.');
  if (parts.size() != key_parts + 2 || parts[0] != kVersion) bad();
  std::vector<std::string> decoded;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string out;
    if (!absl::WebSafeBase64Unescape(parts[i], &out)) bad();
    decoded.push_back(std::move(out));
  }
  if (decoded[0] != filters) {
    errors::Throw(errors::InvalidArgument(
        "page_token", "belongs to a request with other filters; start again without it"));
  }
  decoded.erase(decoded.begin());
  return decoded;
}

}  // namespace iop::curriculum::store
