#include "scheduling/domain/conflicts.h"

#include <gtest/gtest.h>

#include "common/errors.h"
#include "scheduling/domain/cursor.h"
#include "scheduling/domain/enrollment.h"

namespace iop::scheduling::domain {
namespace {

Slot At(const std::string& id, int day, int hour, int minutes, std::vector<std::string> facs,
        std::string room) {
  Slot s;
  s.id = id;
  s.start = absl::FromCivil(absl::CivilMinute(2030, 1, day, hour, 0), absl::UTCTimeZone());
  s.end = s.start + absl::Minutes(minutes);
  s.facilitator_ids = std::move(facs);
  s.room_id = std::move(room);
  return s;
}

TEST(ConflictsTest, ReportsEveryFacilitatorAndRoomCollisionOnce) {
  std::vector<Slot> candidates = {At("new1", 7, 9, 120, {"f1", "f2"}, "r1"),
                                  At("new2", 8, 9, 120, {"f1"}, "r1")};
  std::vector<Slot> others = {
      At("a", 7, 10, 60, {"f1"}, "r9"),       // f1 overlaps new1
      At("b", 7, 8, 60, {"f2"}, "r1"),        // ends exactly at 9: no overlap
      At("c", 7, 8, 90, {"f3"}, "r1"),        // room overlaps new1
      At("d", 8, 10, 60, {"f1", "f2"}, "r1"),  // f1 and room overlap new2
      At("e", 9, 9, 60, {"f1"}, "r1"),        // other day
  };
  others.push_back(At("x", 8, 9, 60, {"f1"}, "r1"));
  others.back().cancelled = true;  // cancelled sessions book nothing
  auto found = FindResourceConflicts(candidates, others);
  std::vector<std::string> got;
  for (auto& c : found) got.push_back(std::string(ConflictType(c.kind)) + "/" + c.other_session_id + "/" + c.session_id);
  EXPECT_EQ(got, (std::vector<std::string>{"ROOM_CONFLICT/c/new1", "FACILITATOR_CONFLICT/a/new1",
                                           "FACILITATOR_CONFLICT/d/new2", "ROOM_CONFLICT/d/new2"}));
}

TEST(ConflictsTest, SameIdIsNotAConflictAndLongSessionsAreFound) {
  std::vector<Slot> candidates = {At("s1", 7, 20, 60, {"f1"}, "")};
  std::vector<Slot> others = {At("s1", 7, 20, 60, {"f1"}, ""),
                              At("long", 7, 9, 720, {"f1"}, "")};  // 09:00-21:00
  auto found = FindResourceConflicts(candidates, others);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].other_session_id, "long");
  // Rooms left empty never collide.
  EXPECT_TRUE(FindResourceConflicts({At("a", 7, 9, 60, {}, "")}, {At("b", 7, 9, 60, {}, "")}).empty());
}

TEST(ConflictsTest, ClientConflictsAreAnyOverlap) {
  auto found = FindClientConflicts("c1", {At("n", 7, 9, 60, {"f1"}, "r1")},
                                   {At("o1", 7, 9, 30, {"f9"}, "r9"), At("o2", 7, 11, 30, {}, "")});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, ConflictKind::kClient);
  EXPECT_EQ(found[0].resource_id, "c1");
  EXPECT_NE(Describe(found[0]).find("CLIENT_CONFLICT"), std::string::npos);
  EXPECT_NE(Describe(found[0]).find("o1"), std::string::npos);
}

TEST(ConflictsTest, HorizonIsBoundedForOpenEndedSeries) {
  absl::CivilDay from(2030, 1, 1);
  EXPECT_EQ(ConflictHorizonEnd(from, std::nullopt), from + kConflictHorizonDays);
  EXPECT_EQ(ConflictHorizonEnd(from, absl::CivilDay(2030, 2, 1)), absl::CivilDay(2030, 2, 1));
  EXPECT_EQ(ConflictHorizonEnd(from, absl::CivilDay(2035, 1, 1)), from + kConflictHorizonDays);
}

TEST(EnrollmentTest, RosterFollowsMembershipDates) {
  std::vector<SeatedMember> members = {
      {"m1", "c1", "Zoe", absl::CivilDay(2030, 1, 1), absl::CivilDay(2030, 1, 10)},
      {"m2", "c2", "Adam", absl::CivilDay(2030, 1, 5), std::nullopt},
      {"m3", "c3", "Adam", absl::CivilDay(2030, 1, 1), std::nullopt},
  };
  auto ids = [](const std::vector<SeatedMember>& r) {
    std::vector<std::string> out;
    for (auto& m : r) out.push_back(m.client_id);
    return out;
  };
  EXPECT_EQ(ids(RosterOn(members, absl::CivilDay(2030, 1, 1))), (std::vector<std::string>{"c3", "c1"}));
  EXPECT_EQ(ids(RosterOn(members, absl::CivilDay(2030, 1, 10))), (std::vector<std::string>{"c2", "c3", "c1"}));
  EXPECT_EQ(ids(RosterOn(members, absl::CivilDay(2030, 1, 11))), (std::vector<std::string>{"c2", "c3"}));
  auto decoded = DecodeMembers(EncodeMembers(members));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].end_date, absl::CivilDay(2030, 1, 10));
  EXPECT_FALSE((*decoded)[1].end_date);
  EXPECT_EQ((*decoded)[2].display_name, "Adam");
  EXPECT_FALSE(DecodeMembers("garbage"));
  EXPECT_TRUE(DecodeMembers(EncodeMembers({}))->empty());
}

TEST(EnrollmentTest, PromotionStartAndIntensity) {
  EXPECT_EQ(PromotedStart(absl::CivilDay(2030, 1, 1), absl::CivilDay(2030, 1, 9)), absl::CivilDay(2030, 1, 10));
  EXPECT_EQ(PromotedStart(absl::CivilDay(2030, 2, 1), absl::CivilDay(2030, 1, 9)), absl::CivilDay(2030, 2, 1));
  EXPECT_EQ(ClassifyIntensity(8.5, 9, 19), Intensity::kBelow);
  EXPECT_EQ(ClassifyIntensity(9, 9, 19), Intensity::kWithin);
  EXPECT_EQ(ClassifyIntensity(19, 9, 19), Intensity::kWithin);
  EXPECT_EQ(ClassifyIntensity(19.25, 9, 19), Intensity::kAbove);
}

TEST(CursorTest, RoundTripsAndRejectsForeignTokens) {
  std::string t = EncodeCursor({"Group.A:1", ""}, "f1");
  EXPECT_EQ(DecodeCursor(t, "f1", 2), (std::vector<std::string>{"Group.A:1", ""}));
  EXPECT_TRUE(DecodeCursor("", "f1", 2).empty());
  EXPECT_THROW(DecodeCursor(t, "f2", 2), errors::RpcError);
  EXPECT_THROW(DecodeCursor(t, "f1", 3), errors::RpcError);
  EXPECT_THROW(DecodeCursor("not a token", "f1", 2), errors::RpcError);
}

}  // namespace
}  // namespace iop::scheduling::domain
