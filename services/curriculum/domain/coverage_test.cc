#include "curriculum/domain/coverage.h"

#include <gtest/gtest.h>

#include "curriculum/domain/planning.h"

namespace iop::curriculum::domain {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000000;

const std::vector<Module> kModules = {{"Mindfulness", {"m1", "m2"}},
                                      {"Emotion Regulation", {"e1", "e2", "e3"}},
                                      {"Distress Tolerance", {"d1", "d2"}},
                                      {"Interpersonal Effectiveness", {"i1", "i2"}}};

TEST(CoverageTest, OnlyPresentLateAndLeftEarlyCountAsAttended) {
  EXPECT_TRUE(Attended(AttendanceStatus::kPresent));
  EXPECT_TRUE(Attended(AttendanceStatus::kLate));
  EXPECT_TRUE(Attended(AttendanceStatus::kLeftEarly));
  EXPECT_FALSE(Attended(AttendanceStatus::kAbsentExcused));
  EXPECT_FALSE(Attended(AttendanceStatus::kAbsentUnexcused));
  EXPECT_FALSE(Attended(AttendanceStatus::kUnrecorded));
}

TEST(CoverageTest, DeliveredLessonWinsAndFuturePlansDoNotCount) {
  SessionTeaching s{"s", "planned", std::nullopt, 100};
  EXPECT_EQ(LessonTaught(s, 99), std::nullopt);
  EXPECT_EQ(LessonTaught(s, 100), "planned");
  s.delivered_lesson_id = "swapped";
  EXPECT_EQ(LessonTaught(s, 0), "swapped");
}

TEST(CoverageTest, ModuleCountsDistinctLessonsInModuleOrder) {
  Coverage c = ComputeCoverage({{"M", {"x", "y", "x"}}}, {"y", "x", "elsewhere"});
  ASSERT_EQ(c.modules.size(), 1u);
  EXPECT_EQ(c.modules[0].lessons_total, 2);
  EXPECT_EQ(c.modules[0].attended_lesson_ids, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(c.complete);
  EXPECT_FALSE(ComputeCoverage({}, {}).complete);
}

// Maria joins a rolling DBT group in the middle of Emotion Regulation. The
// group's plan cycles; she covers the whole track only once the cycle has
// come round to the lessons she missed.
TEST(CoverageTest, ClientJoiningMidModuleCompletesOnlyAfterTheCycleWraps) {
  PlanInput in;
  in.track_id = "dbt";
  in.steps = Flatten(kModules);
  for (const auto& s : in.steps) in.lesson_minutes[s.lesson_id] = 60;
  const int track_length = static_cast<int>(in.steps.size());  // 9
  for (int i = 0; i < 2 * track_length; ++i) {
    in.sessions.push_back({"s" + std::to_string(i), i * kDay, 90, false});
  }
  in.sessions[5].cancelled = true;  // a holiday in her first pass
  PlanResult plan = PlanSessions(in);
  std::map<std::string, SessionTeaching> teaching;
  std::map<std::string, int> cycle_of;
  for (const auto& p : plan.plans) {
    teaching[p.session_id] = {p.session_id, p.lesson_id, std::nullopt, 0};
    cycle_of[p.session_id] = p.cycle;
  }

  // She joins at s3: e2 in the first pass (m1, m2, e1 already behind her).
  const int joined = 3;
  ASSERT_EQ(teaching.at("s3").planned_lesson_id, "e2");
  std::set<std::string> covered;
  int completed_at = -1;
  for (int i = joined; i < static_cast<int>(in.sessions.size()); ++i) {
    auto it = teaching.find("s" + std::to_string(i));
    if (it == teaching.end()) continue;  // cancelled: nothing taught
    if (auto lesson = LessonTaught(it->second, /*now=*/100 * kDay)) covered.insert(*lesson);
    Coverage c = ComputeCoverage(kModules, covered);
    if (c.complete) {
      completed_at = i;
      break;
    }
    if (cycle_of.at(it->first) == 1) {
      EXPECT_FALSE(c.modules[0].complete) << "mindfulness comes round only in the second pass";
      EXPECT_FALSE(c.modules[1].complete) << "e1 was taught before she joined";
    }
  }
  ASSERT_GE(completed_at, 0);
  // The last missing lesson is e1 of the second pass.
  const PlannedSession* last = nullptr;
  for (const auto& p : plan.plans) {
    if (p.session_id == "s" + std::to_string(completed_at)) last = &p;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->lesson_id, "e1");
  EXPECT_EQ(last->cycle, 2);

  // One unexcused absence in the second pass leaves the module open.
  std::set<std::string> missed_e1 = covered;
  missed_e1.erase("e1");
  Coverage c = ComputeCoverage(kModules, missed_e1);
  EXPECT_FALSE(c.complete);
  EXPECT_EQ(c.modules_complete, 3);
  EXPECT_FALSE(c.modules[1].complete);
  EXPECT_EQ(c.modules[1].attended_lesson_ids, (std::vector<std::string>{"e2", "e3"}));
}

}  // namespace
}  // namespace iop::curriculum::domain
