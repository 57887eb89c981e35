#include "curriculum/domain/library.h"

#include <gtest/gtest.h>

#include <set>

namespace iop::curriculum::domain {
namespace {

std::vector<std::string> ModuleTitles(const Track& t) {
  std::vector<std::string> out;
  for (const auto& m : t.modules) out.push_back(m.title);
  return out;
}

TEST(LibraryTest, HasTheFourStarterTracksWithStableIds) {
  const Library& lib = StarterLibrary();
  const Track* dbt = lib.FindTrack("builtin-track-dbt-skills");
  ASSERT_NE(dbt, nullptr);
  EXPECT_EQ(dbt->modality, Modality::kDbtSkills);
  EXPECT_EQ(ModuleTitles(*dbt), (std::vector<std::string>{"Mindfulness", "Emotion Regulation",
                                                           "Distress Tolerance", "Interpersonal Effectiveness"}));
  EXPECT_TRUE(dbt->rolling_admission);
  ASSERT_NE(lib.FindTrack("builtin-track-cbt"), nullptr);
  ASSERT_NE(lib.FindTrack("builtin-track-relapse-prevention"), nullptr);
  const Track* psy = lib.FindTrack("builtin-track-psychoeducation");
  ASSERT_NE(psy, nullptr);
  EXPECT_EQ(ModuleTitles(*psy),
            (std::vector<std::string>{"Addiction", "Trauma", "Self-Care", "Medication Management"}));
  ASSERT_NE(lib.FindLesson("builtin-dbt-mindfulness-1"), nullptr);
  EXPECT_EQ(lib.FindLesson("builtin-dbt-mindfulness-1")->module, "Mindfulness");
  EXPECT_EQ(lib.FindLesson("nope"), nullptr);
}

TEST(LibraryTest, EveryLessonIsValidWithFivePhasesAndObjectives) {
  std::set<std::string> ids;
  for (const Lesson& l : StarterLibrary().lessons()) {
    SCOPED_TRACE(l.id);
    EXPECT_TRUE(ids.insert(l.id).second) << "duplicate id";
    EXPECT_TRUE(IsBuiltInId(l.id));
    errors::Validator v;
    CheckLesson(v, "lesson", l);
    EXPECT_TRUE(v.ok());
    ASSERT_EQ(l.phases.size(), 5u);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(static_cast<int>(l.phases[k].kind), k + 1);
    EXPECT_GE(l.objectives.size(), 2u);
    EXPECT_FALSE(l.homework.empty());
    EXPECT_FALSE(l.materials.empty());
    EXPECT_LE(TotalMinutes(l.phases), 90);
  }
}

TEST(LibraryTest, TracksReferOnlyToLibraryLessonsOfTheirModule) {
  for (const Track& t : StarterLibrary().tracks()) {
    SCOPED_TRACE(t.id);
    EXPECT_TRUE(IsBuiltInId(t.id));
    errors::Validator v;
    CheckTrack(v, "track", t);
    EXPECT_TRUE(v.ok());
    for (const Module& m : t.modules) {
      EXPECT_GE(m.lesson_ids.size(), 2u);
      EXPECT_LE(m.lesson_ids.size(), 4u);
      for (const auto& id : m.lesson_ids) {
        const Lesson* l = StarterLibrary().FindLesson(id);
        ASSERT_NE(l, nullptr) << id;
        EXPECT_EQ(l->module, m.title);
        EXPECT_EQ(l->modality, t.modality);
      }
    }
  }
}

TEST(LibraryTest, GeneratedIdsAreNeverBuiltIn) {
  EXPECT_FALSE(IsBuiltInId("3f1c2a9e-0000-4000-8000-000000000000"));
  EXPECT_FALSE(IsBuiltInId(""));
  EXPECT_FALSE(IsBuiltInId("builtin"));
  EXPECT_TRUE(IsBuiltInId("builtin-x"));
}

}  // namespace
}  // namespace iop::curriculum::domain
