#include "iopctl/format.h"

#include <google/protobuf/descriptor.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iopctl {

std::string FormatSessionTime(absl::Time start, absl::Time end, const absl::TimeZone& zone) {
  absl::TimeZone::CivilInfo from = zone.At(start);
  absl::TimeZone::CivilInfo to = zone.At(end);
  std::string text = absl::FormatTime("%a %Y-%m-%d %H:%M", start, zone) + "-" +
                     absl::FormatTime("%H:%M", end, zone);
  long days = absl::CivilDay(to.cs) - absl::CivilDay(from.cs);
  if (days > 0) text += "+" + std::to_string(days);
  return text + " " + from.zone_abbr;
}

std::string FormatLocalTime(absl::Time when, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M %Z", when, zone);
}

std::string FormatLocalDate(absl::Time when, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d", when, zone);
}

absl::CivilDay WeekStart(absl::CivilDay day) {
  // GetWeekday counts Monday as the first day; step back to it.
  while (absl::GetWeekday(day) != absl::Weekday::monday) --day;
  return day;
}

bool ParseDate(const std::string& text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  int y = std::stoi(text.substr(0, 4)), m = std::stoi(text.substr(5, 2)), d = std::stoi(text.substr(8, 2));
  absl::CivilDay parsed(y, m, d);
  // CivilDay normalises 2025-02-30 to March; a real date survives unchanged.
  if (parsed.year() != y || parsed.month() != m || parsed.day() != d) return false;
  *day = parsed;
  return true;
}

bool ParseAnswers(const std::string& text, std::vector<int>* answers, std::string* error) {
  answers->clear();
  if (absl::StripAsciiWhitespace(text).empty()) {
    *error = "no answers given (example: --answers 1,2,0,1,3,0,0,1,0)";
    return false;
  }
  int position = 0;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    ++position;
    std::string item(absl::StripAsciiWhitespace(part));
    int value = 0;
    if (item.empty() || !absl::SimpleAtoi(item, &value)) {
      *error = absl::StrFormat("answer %d is \"%s\", not a whole number", position, item);
      return false;
    }
    answers->push_back(value);
  }
  return true;
}

std::string StripEnumPrefix(const std::string& value_name, const std::string& prefix) {
  if (value_name.size() > prefix.size() && value_name.compare(0, prefix.size(), prefix) == 0) {
    return value_name.substr(prefix.size());
  }
  return value_name;
}

std::string EnumPrefix(const std::string& enum_name) {
  std::string out;
  for (size_t i = 0; i < enum_name.size(); ++i) {
    char c = enum_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out + "_";
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number) {
  const auto* value = type->FindValueByNumber(number);
  if (value == nullptr) return std::to_string(number);
  if (number == 0) return "-";
  return StripEnumPrefix(value->name(), EnumPrefix(type->name()));
}

int ParseEnum(const google::protobuf::EnumDescriptor* type, const std::string& text) {
  std::string wanted = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  for (char& c : wanted) {
    if (c == '-' || c == ' ') c = '_';
  }
  if (wanted.empty()) return -1;
  std::string prefix = EnumPrefix(type->name());
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    if (value->number() == 0) continue;
    if (value->name() == wanted || value->name() == prefix + wanted) return value->number();
  }
  return -1;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::string out;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    if (!out.empty()) out += ", ";
    out += EnumLabel(type, type->value(i)->number());
  }
  return out;
}

std::string FormatNumber(double value) {
  std::string text = absl::StrFormat("%.2f", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string FormatPercent(double share) { return absl::StrFormat("%.0f%%", share * 100.0); }

}  // namespace iopctl
