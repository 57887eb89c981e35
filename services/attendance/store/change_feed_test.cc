#include "attendance/store/change_feed.h"

#include <gtest/gtest.h>

namespace iop::attendance::store {
namespace {

TEST(ParseRecordChange, ReadsWhatTheTriggerSends) {
  auto c = ParseRecordChange(
      R"({"org" : "o1", "session" : "s1", "record" : "r1", "version" : 3, "kind" : "checked_out"})");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->org, "o1");
  EXPECT_EQ(c->session_id, "s1");
  EXPECT_EQ(c->record_id, "r1");
  EXPECT_EQ(c->version, 3);
  EXPECT_EQ(c->kind, RecordChange::Kind::kCheckedOut);
  EXPECT_EQ(ParseRecordChange(R"({"org":"o","session":"s","record":"r","version":1,"kind":"checked_in"})")->kind,
            RecordChange::Kind::kCheckedIn);
  EXPECT_EQ(ParseRecordChange(R"({"org":"o","session":"s","record":"r","version":1,"kind":"recorded"})")->kind,
            RecordChange::Kind::kRecorded);
}

TEST(ParseRecordChange, RefusesAnythingElse) {
  for (const char* bad : {
           "", "not json", "[]", "{}",
           R"({"org":"o","session":"s","record":"r","version":1})",
           R"({"org":"o","session":"s","record":"r","version":1,"kind":"deleted"})",
           R"({"org":"o","session":"s","record":"r","version":0,"kind":"recorded"})",
           R"({"org":"o","session":"s","record":"r","version":"1","kind":"recorded"})",
           R"({"org":"","session":"s","record":"r","version":1,"kind":"recorded"})",
           R"({"org":"o","session":7,"record":"r","version":1,"kind":"recorded"})",
       }) {
    EXPECT_FALSE(ParseRecordChange(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace iop::attendance::store
