#include "scheduling/domain/directory.h"

#include <gtest/gtest.h>

namespace iop::scheduling::domain {
namespace {

TEST(DirectoryTest, TimeZones) {
  EXPECT_TRUE(IsIanaTimeZone("America/New_York"));
  EXPECT_TRUE(IsIanaTimeZone("Europe/Berlin"));
  EXPECT_TRUE(IsIanaTimeZone("UTC"));
  EXPECT_FALSE(IsIanaTimeZone(""));
  EXPECT_FALSE(IsIanaTimeZone("Mars/Olympus_Mons"));
  EXPECT_FALSE(IsIanaTimeZone("localtime"));
  EXPECT_FALSE(IsIanaTimeZone("../../etc/passwd"));
  EXPECT_FALSE(IsIanaTimeZone("/usr/share/zoneinfo/UTC"));
  EXPECT_FALSE(IsIanaTimeZone("America/New York"));
}

TEST(DirectoryTest, DisplayNames) {
  errors::Validator v;
  CheckDisplayName(v, "site.display_name", "Downtown Clinic");
  EXPECT_TRUE(v.ok());
  CheckDisplayName(v, "a", "");
  CheckDisplayName(v, "b", std::string(kMaxNameLength + 1, 'x'));
  CheckDisplayName(v, "c", "tab\there");
  EXPECT_THROW(v.ThrowIfInvalid(), errors::RpcError);
  try {
    v.ThrowIfInvalid();
  } catch (const errors::RpcError& e) {
    EXPECT_NE(e.status().error_message().find("a: is required"), std::string::npos);
    EXPECT_NE(e.status().error_message().find("b: must be at most"), std::string::npos);
    EXPECT_NE(e.status().error_message().find("c: must not contain"), std::string::npos);
  }
}

TEST(DirectoryTest, LevelOfCareDefaults) {
  EXPECT_EQ(DefaultWeeklyHours(AgeGroup::kAdult).min, 9);
  EXPECT_EQ(DefaultWeeklyHours(AgeGroup::kAdult).max, 19);
  EXPECT_EQ(DefaultWeeklyHours(AgeGroup::kAdolescent).min, 6);
  EXPECT_EQ(DefaultWeeklyHours(AgeGroup::kAdolescent).max, 19);
}

}  // namespace
}  // namespace iop::scheduling::domain
