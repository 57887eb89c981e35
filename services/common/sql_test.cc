#include "common/sql.h"

#include <gtest/gtest.h>

namespace iop::sql {
namespace {

TEST(SqlTest, TextArrayRoundTripsAwkwardValues) {
  std::vector<std::string> values = {"plain", "with,comma", "quote\"d", "back\\slash", ""};
  EXPECT_EQ(ParseTextArray(TextArray(values)), values);
  EXPECT_EQ(TextArray({}), "{}");
  EXPECT_TRUE(ParseTextArray("{}").empty());
  EXPECT_EQ(ParseTextArray("{a,b}"), (std::vector<std::string>{"a", "b"}));
}

TEST(SqlTest, TimestampsBeforeAndAfterEpoch) {
  EXPECT_EQ(MicrosFromTimestamp(TimestampFromMicros(1700000000123456)), 1700000000123456);
  auto ts = TimestampFromMicros(-1);
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999999000);
  EXPECT_EQ(MicrosFromTimestamp(ts), -1);
}

TEST(SqlTest, HexSpellsEveryByteAsTwoDigits) {
  EXPECT_EQ(Hex(std::string("\x00\x0a\x7f\x80\xff", 5)), "000a7f80ff");
  EXPECT_EQ(Hex(""), "");
}

}  // namespace
}  // namespace iop::sql
