#include "common/ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace iop::ids {
namespace {

TEST(NewUuidTest, HasTheTextFormOfARandomUuid) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewUuid();
    ASSERT_TRUE(std::regex_match(id, v4)) << id;
  }
}

TEST(NewUuidTest, DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(NewUuid()).second);
}

TEST(NewUuidTest, EveryRandomHexDigitTakesEveryValue) {
  // 30 free digits, 16 values each: a generator stuck on some bits shows here.
  std::set<std::pair<int, char>> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = NewUuid();
    for (int k = 0; k < 36; ++k) {
      if (k == 8 || k == 13 || k == 14 || k == 18 || k == 19 || k == 23) continue;
      seen.insert({k, id[k]});
    }
  }
  EXPECT_EQ(seen.size(), 30u * 16u);
}

}  // namespace
}  // namespace iop::ids
