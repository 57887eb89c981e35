#include "common/log.h"

#include <gtest/gtest.h>

namespace iop::log {
namespace {

TEST(LogTest, OneJsonObjectPerLine) {
  std::string line = Format(Level::kWarn, "cache down", {{"cache", "group"}, {"errors", 3}});
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["msg"], "cache down");
  EXPECT_EQ(parsed["cache"], "group");
  EXPECT_EQ(parsed["errors"], 3);
  EXPECT_TRUE(parsed.contains("ts"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogTest, FieldsCannotOverrideCoreKeysAndBadUtf8IsSafe) {
  auto parsed = nlohmann::json::parse(Format(Level::kInfo, "m", {{"level", "x"}, {"raw", "\xff"}}));
  EXPECT_EQ(parsed["level"], "info");
}

TEST(LogTest, Levels) {
  Level l;
  EXPECT_TRUE(ParseLevel("error", &l));
  EXPECT_EQ(l, Level::kError);
  EXPECT_FALSE(ParseLevel("verbose", &l));
  SetLevel(Level::kWarn);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  SetLevel(Level::kInfo);
}

}  // namespace
}  // namespace iop::log
