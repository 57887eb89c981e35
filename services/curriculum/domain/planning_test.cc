#include "curriculum/domain/planning.h"

#include <gtest/gtest.h>

namespace iop::curriculum::domain {
namespace {

constexpr int64_t kHour = 3600LL * 1000000;

// Two modules: A = a1 a2, B = b1 b2 b3.
PlanInput Input(std::vector<SessionSlot> sessions) {
  PlanInput in;
  in.track_id = "t";
  in.steps = Flatten({{"A", {"a1", "a2"}}, {"B", {"b1", "b2", "b3"}}});
  for (const auto& s : in.steps) in.lesson_minutes[s.lesson_id] = 60;
  in.sessions = std::move(sessions);
  return in;
}

std::vector<SessionSlot> Weekly(int n, int minutes = 90) {
  std::vector<SessionSlot> out;
  for (int i = 0; i < n; ++i) out.push_back({"s" + std::to_string(i), i * 24 * kHour, minutes, false});
  return out;
}

std::vector<std::string> Lessons(const PlanResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.plans) out.push_back(p.lesson_id);
  return out;
}

TEST(PlanningTest, FlattenNumbersStepsAcrossModules) {
  auto steps = Input({}).steps;
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[2].lesson_id, "b1");
  EXPECT_EQ(steps[2].module, "B");
  EXPECT_EQ(steps[2].sequence, 3);
}

TEST(PlanningTest, FollowsTrackOrderAndCyclesAfterTheLastLesson) {
  PlanResult r = PlanSessions(Input(Weekly(7)));
  EXPECT_TRUE(r.too_long.empty());
  EXPECT_EQ(Lessons(r), (std::vector<std::string>{"a1", "a2", "b1", "b2", "b3", "a1", "a2"}));
  EXPECT_EQ(r.plans[4].cycle, 1);
  EXPECT_EQ(r.plans[5].cycle, 2);
  EXPECT_EQ(r.plans[5].sequence, 1);
  EXPECT_EQ(r.plans[5].module, "A");
}

TEST(PlanningTest, CancelledSessionGetsNothingAndUsesUpNoLesson) {
  auto sessions = Weekly(4);
  sessions[1].cancelled = true;
  PlanResult r = PlanSessions(Input(sessions));
  ASSERT_EQ(r.plans.size(), 3u);
  EXPECT_EQ(r.plans[0].session_id, "s0");
  EXPECT_EQ(r.plans[1].session_id, "s2");
  EXPECT_EQ(Lessons(r), (std::vector<std::string>{"a1", "a2", "b1"}));
}

TEST(PlanningTest, RescheduledSessionKeepsItsIdAndTakesItsNewPlaceInOrder) {
  auto sessions = Weekly(4);
  PlanResult before = PlanSessions(Input(sessions));
  EXPECT_EQ(before.plans[1].session_id, "s1");
  EXPECT_EQ(before.plans[1].lesson_id, "a2");
  // s1 moves after s3; the input order does not matter, the start does.
  sessions[1].start_micros = sessions[3].start_micros + kHour;
  PlanResult after = PlanSessions(Input(sessions));
  std::vector<std::string> ids;
  for (const auto& p : after.plans) ids.push_back(p.session_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"s0", "s2", "s3", "s1"}));
  EXPECT_EQ(after.plans[3].lesson_id, "b2");
  EXPECT_EQ(after.plans[1].lesson_id, "a2");
}

TEST(PlanningTest, ContinuesAfterTheGroupsLastPlanBeforeTheRange) {
  PlanInput in = Input(Weekly(3));
  in.last_before = Position{"t", 4, 3};  // b2 of the third pass
  PlanResult r = PlanSessions(in);
  EXPECT_EQ(Lessons(r), (std::vector<std::string>{"b3", "a1", "a2"}));
  EXPECT_EQ(r.plans[0].cycle, 3);
  EXPECT_EQ(r.plans[1].cycle, 4);
}

TEST(PlanningTest, AnotherTrackBeforeTheRangeStartsAtTheBeginning) {
  PlanInput in = Input(Weekly(1));
  in.last_before = Position{"other", 4, 3};
  PlanResult r = PlanSessions(in);
  EXPECT_EQ(r.plans[0].lesson_id, "a1");
  EXPECT_EQ(r.plans[0].cycle, 1);
}

TEST(PlanningTest, TrackShorterThanLastSequenceWrapsToNextCycle) {
  EXPECT_EQ(NextPosition("t", 5, Position{"t", 9, 2}).sequence, 1);
  EXPECT_EQ(NextPosition("t", 5, Position{"t", 9, 2}).cycle, 3);
  EXPECT_EQ(NextPosition("t", 5, std::nullopt).cycle, 1);
}

TEST(PlanningTest, DeliveredSessionKeepsItsPlanAndPlanningContinuesAfterIt) {
  PlanInput in = Input(Weekly(3));
  in.delivered = {"s1"};
  in.delivered_plans["s1"] = {"s1", "t", "b2", "B", 4, 1, false};
  PlanResult r = PlanSessions(in);
  EXPECT_EQ(Lessons(r), (std::vector<std::string>{"a1", "b2", "b3"}));
  EXPECT_FALSE(r.plans[0].kept);
  EXPECT_TRUE(r.plans[1].kept);
}

TEST(PlanningTest, DeliveredSessionWithoutPlanIsLeftAlone) {
  PlanInput in = Input(Weekly(3));
  in.delivered = {"s0"};
  PlanResult r = PlanSessions(in);
  ASSERT_EQ(r.plans.size(), 2u);
  EXPECT_EQ(r.plans[0].session_id, "s1");
  EXPECT_EQ(r.plans[0].lesson_id, "a1");
}

TEST(PlanningTest, LessonLongerThanItsSessionIsReportedWithTheSession) {
  auto sessions = Weekly(3, 60);
  sessions[2].minutes = 45;
  PlanInput in = Input(sessions);
  in.lesson_minutes["a2"] = 61;
  PlanResult r = PlanSessions(in);
  ASSERT_EQ(r.too_long.size(), 2u);
  EXPECT_EQ(r.too_long[0].session_id, "s1");
  EXPECT_EQ(r.too_long[0].lesson_minutes, 61);
  EXPECT_EQ(r.too_long[0].session_minutes, 60);
  EXPECT_EQ(r.too_long[1].session_id, "s2");  // b1: 60 minutes into 45
  // s0 holds a1 (60 of 60 minutes): an exact fit is fine.
}

}  // namespace
}  // namespace iop::curriculum::domain
