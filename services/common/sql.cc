#include "common/sql.h"

namespace iop::sql {

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> ParseTextArray(const std::string& s) {
  std::vector<std::string> out;
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return out;
  size_t i = 1;
  const size_t end = s.size() - 1;
  while (i < end) {
    std::string item;
    if (s[i] == '"') {
      ++i;
      while (i < end && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < end) ++i;
        item += s[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < end && s[i] != ',') item += s[i++];
    }
    out.push_back(item);
    if (i < end && s[i] == ',') ++i;
  }
  return out;
}

std::string EpochMicros(const std::string& column) {
  return "(floor(extract(epoch from " + column + ") * 1000000))::bigint";
}

std::string MicrosParam(int n) { return FromMicros("$" + std::to_string(n) + "::bigint"); }

std::string FromMicros(const std::string& expression) {
  return "('epoch'::timestamptz + " + expression + " * interval '1 microsecond')";
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

google::protobuf::Timestamp TimestampFromMicros(int64_t micros) {
  google::protobuf::Timestamp ts;
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

int64_t MicrosFromTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

absl::Time TimeFromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

}  // namespace iop::sql
