#include "curriculum/domain/lesson.h"

#include <gtest/gtest.h>

namespace iop::curriculum::domain {
namespace {

Lesson Valid() {
  Lesson l;
  l.title = "TIPP skills";
  l.modality = Modality::kDbtSkills;
  l.phases = {{PhaseKind::kCheckIn, 10, ""},   {PhaseKind::kSkillIntro, 15, ""},
              {PhaseKind::kActivity, 20, ""}, {PhaseKind::kFeedback, 10, ""},
              {PhaseKind::kWrapUp, 5, ""}};
  return l;
}

grpc::Status Check(const Lesson& l) {
  errors::Validator v;
  CheckLesson(v, "lesson", l);
  try {
    v.ThrowIfInvalid();
  } catch (const errors::RpcError& e) {
    return e.status();
  }
  return grpc::Status::OK;
}

TEST(LessonTest, PhasesInSessionOrderAreValid) {
  EXPECT_TRUE(Check(Valid()).ok());
  EXPECT_EQ(TotalMinutes(Valid().phases), 60);
}

TEST(LessonTest, KindMayRepeatButNeverGoBack) {
  Lesson l = Valid();
  l.phases.insert(l.phases.begin() + 3, {PhaseKind::kActivity, 10, "second activity"});
  EXPECT_TRUE(Check(l).ok());

  l = Valid();
  std::swap(l.phases[1], l.phases[2]);  // activity before skill intro
  grpc::Status s = Check(l);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("lesson.phases[2].kind"), std::string::npos) << s.error_message();
}

TEST(LessonTest, UnsetKindAndTooFewMinutesNameTheirPhase) {
  Lesson l = Valid();
  l.phases[0].kind = PhaseKind::kUnspecified;
  l.phases[4].minutes = 0;
  grpc::Status s = Check(l);
  EXPECT_NE(s.error_message().find("lesson.phases[0].kind"), std::string::npos);
  EXPECT_NE(s.error_message().find("lesson.phases[4].minutes"), std::string::npos);
}

TEST(LessonTest, EmptyPhasesTitleAndModalityAreRejected) {
  Lesson l;
  grpc::Status s = Check(l);
  EXPECT_NE(s.error_message().find("lesson.phases"), std::string::npos);
  EXPECT_NE(s.error_message().find("lesson.title"), std::string::npos);
  EXPECT_NE(s.error_message().find("lesson.modality"), std::string::npos);
}

TEST(LessonTest, TotalOverTwelveHoursIsRejectedWithoutOverflow) {
  Lesson l = Valid();
  l.phases[2].minutes = 720 - 40 + 1;  // total 721
  EXPECT_EQ(Check(l).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  l.phases[2].minutes = 720 - 40;  // exactly 720
  EXPECT_TRUE(Check(l).ok());
  for (auto& p : l.phases) p.minutes = 2147483647;
  EXPECT_EQ(Check(l).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(LessonTest, PhaseMinutesMustFitTheSession) {
  const int minutes = TotalMinutes(Valid().phases);
  EXPECT_TRUE(FitsSession(minutes, 60));
  EXPECT_TRUE(FitsSession(minutes, 90));
  EXPECT_FALSE(FitsSession(minutes, 59));
  EXPECT_FALSE(FitsSession(minutes, 45));
}

TEST(LessonTest, FidelityIsShareOfDistinctKindsCompleted) {
  Lesson l = Valid();
  l.phases.insert(l.phases.begin() + 3, {PhaseKind::kActivity, 10, ""});
  EXPECT_DOUBLE_EQ(FidelityScore(l.phases, {PhaseKind::kCheckIn, PhaseKind::kActivity}), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(FidelityScore(l.phases, {}), 0.0);
  EXPECT_DOUBLE_EQ(FidelityScore(l.phases, {PhaseKind::kCheckIn, PhaseKind::kSkillIntro, PhaseKind::kActivity,
                                            PhaseKind::kFeedback, PhaseKind::kWrapUp}),
                   1.0);
}

TEST(TrackTest, ModulesNeedTitlesAndLessons) {
  Track t;
  t.title = "DBT";
  t.modality = Modality::kDbtSkills;
  t.modules = {{"Mindfulness", {"a"}}, {"", {}}};
  errors::Validator v;
  CheckTrack(v, "track", t);
  ASSERT_FALSE(v.ok());
  try {
    v.ThrowIfInvalid();
  } catch (const errors::RpcError& e) {
    EXPECT_NE(e.status().error_message().find("track.modules[1].title"), std::string::npos);
    EXPECT_NE(e.status().error_message().find("track.modules[1].lesson_ids"), std::string::npos);
    EXPECT_EQ(e.status().error_message().find("track.modules[0]"), std::string::npos);
  }
  errors::Validator empty;
  CheckTrack(empty, "track", Track{"", "T", Modality::kCbt, "", {}, false});
  EXPECT_FALSE(empty.ok());
}

}  // namespace
}  // namespace iop::curriculum::domain
