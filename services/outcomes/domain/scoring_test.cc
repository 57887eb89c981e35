// Every built-in instrument at its extremes and band edges, answer checks,
// and the critical items that open risk alerts.
#include "outcomes/domain/scoring.h"

#include <gtest/gtest.h>

#include "outcomes/domain/builtin.h"

namespace iop::outcomes::domain {
namespace {

const Instrument& Get(const std::string& code) {
  const Instrument* i = FindBuiltIn(code);
  EXPECT_NE(i, nullptr) << code;
  return *i;
}

// Answers whose raw item scores (after reverse scoring) sum to `raw`,
// filled from the first item on.
std::vector<int> AnswersSummingTo(const Instrument& in, int raw) {
  std::vector<int> out;
  int left = raw;
  for (const auto& item : in.items) left -= item.min_value;
  for (const auto& item : in.items) {
    const int add = std::min(left, item.max_value - item.min_value);
    left -= add;
    const int score = item.min_value + add;
    out.push_back(item.reverse_scored ? item.min_value + item.max_value - score : score);
  }
  EXPECT_EQ(left, 0) << in.code << " cannot reach " << raw;
  return out;
}

struct Edge {
  std::string code;
  int raw;
  double total;
  std::string severity;
  bool acute;
};

class BandEdges : public ::testing::TestWithParam<Edge> {};

TEST_P(BandEdges, TotalFallsInTheExpectedBand) {
  const Edge& e = GetParam();
  const Instrument& in = Get(e.code);
  const auto answers = AnswersSummingTo(in, e.raw);
  ASSERT_TRUE(CheckAnswers(in, answers).empty());
  const Scored s = Score(in, answers);
  EXPECT_DOUBLE_EQ(s.total, e.total);
  ASSERT_NE(s.band, nullptr) << e.code << " " << e.total;
  EXPECT_EQ(s.band->label, e.severity);
  EXPECT_EQ(s.band->acute, e.acute);
}

INSTANTIATE_TEST_SUITE_P(
    BuiltIns, BandEdges,
    ::testing::Values(
        Edge{"PHQ-9", 0, 0, "minimal", false}, Edge{"PHQ-9", 4, 4, "minimal", false},
        Edge{"PHQ-9", 5, 5, "mild", false}, Edge{"PHQ-9", 9, 9, "mild", false},
        Edge{"PHQ-9", 10, 10, "moderate", false}, Edge{"PHQ-9", 14, 14, "moderate", false},
        Edge{"PHQ-9", 15, 15, "moderately severe", false}, Edge{"PHQ-9", 19, 19, "moderately severe", false},
        Edge{"PHQ-9", 20, 20, "severe", true}, Edge{"PHQ-9", 27, 27, "severe", true},
        Edge{"GAD-7", 0, 0, "minimal", false}, Edge{"GAD-7", 4, 4, "minimal", false},
        Edge{"GAD-7", 5, 5, "mild", false}, Edge{"GAD-7", 9, 9, "mild", false},
        Edge{"GAD-7", 10, 10, "moderate", false}, Edge{"GAD-7", 14, 14, "moderate", false},
        Edge{"GAD-7", 15, 15, "severe", true}, Edge{"GAD-7", 21, 21, "severe", true},
        Edge{"PCL-5", 0, 0, "below provisional PTSD threshold", false},
        Edge{"PCL-5", 32, 32, "below provisional PTSD threshold", false},
        Edge{"PCL-5", 33, 33, "provisional PTSD", false}, Edge{"PCL-5", 80, 80, "provisional PTSD", false},
        Edge{"AUDIT-C", 0, 0, "negative", false}, Edge{"AUDIT-C", 2, 2, "negative", false},
        Edge{"AUDIT-C", 3, 3, "positive for women (>= 3)", false},
        Edge{"AUDIT-C", 4, 4, "positive (>= 4 men, >= 3 women)", false},
        Edge{"AUDIT-C", 12, 12, "positive (>= 4 men, >= 3 women)", false},
        Edge{"WHO-5", 0, 0, "low wellbeing: screen for depression", false},
        Edge{"WHO-5", 12, 48, "low wellbeing: screen for depression", false},
        Edge{"WHO-5", 13, 52, "adequate wellbeing", false}, Edge{"WHO-5", 25, 100, "adequate wellbeing", false},
        Edge{"DAST-10", 0, 0, "none", false}, Edge{"DAST-10", 1, 1, "low", false},
        Edge{"DAST-10", 2, 2, "low", false}, Edge{"DAST-10", 3, 3, "moderate", false},
        Edge{"DAST-10", 5, 5, "moderate", false}, Edge{"DAST-10", 6, 6, "substantial", false},
        Edge{"DAST-10", 8, 8, "substantial", false}, Edge{"DAST-10", 9, 9, "severe", true},
        Edge{"DAST-10", 10, 10, "severe", true},
        Edge{"K10", 10, 10, "low", false}, Edge{"K10", 15, 15, "low", false},
        Edge{"K10", 16, 16, "moderate", false}, Edge{"K10", 21, 21, "moderate", false},
        Edge{"K10", 22, 22, "high", false}, Edge{"K10", 29, 29, "high", false},
        Edge{"K10", 30, 30, "very high", true}, Edge{"K10", 50, 50, "very high", true}));

TEST(BuiltIns, LibraryHoldsTheReferenceInstrumentsInCodeOrder) {
  std::vector<std::string> codes;
  for (const auto& i : BuiltInInstruments()) {
    codes.push_back(i.code);
    EXPECT_TRUE(i.built_in);
    EXPECT_TRUE(i.org_id.empty());
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"AUDIT-C", "C-SSRS", "DAST-10", "GAD-7", "K10", "PCL-5", "PHQ-9",
                                             "WHO-5"}));
  EXPECT_EQ(Get("PHQ-9").items.size(), 9u);
  EXPECT_EQ(Get("GAD-7").items.size(), 7u);
  EXPECT_EQ(Get("PCL-5").items.size(), 20u);
  EXPECT_EQ(Get("AUDIT-C").items.size(), 3u);
  EXPECT_EQ(Get("WHO-5").items.size(), 5u);
  EXPECT_EQ(Get("DAST-10").items.size(), 10u);
  EXPECT_EQ(Get("K10").items.size(), 10u);
  EXPECT_EQ(Get("C-SSRS").items.size(), 6u);
  EXPECT_DOUBLE_EQ(Get("PHQ-9").MaxTotal(), 27);
  EXPECT_DOUBLE_EQ(Get("WHO-5").MaxTotal(), 100);
  EXPECT_DOUBLE_EQ(Get("K10").MinTotal(), 10);
  EXPECT_DOUBLE_EQ(Get("C-SSRS").MaxTotal(), 3);
}

TEST(Scoring, Dast10ItemThreeScoresOneForNo) {
  const Instrument& in = Get("DAST-10");
  std::vector<int> all_no(10, 0);
  const Scored s = Score(in, all_no);
  EXPECT_DOUBLE_EQ(s.total, 1);  // only item 3's "no"
  std::vector<int> all_yes(10, 1);
  EXPECT_DOUBLE_EQ(Score(in, all_yes).total, 9);
  std::vector<int> only_three_yes(10, 0);
  only_three_yes[2] = 1;
  EXPECT_DOUBLE_EQ(Score(in, only_three_yes).total, 0);
  EXPECT_EQ(Score(in, only_three_yes).band->label, "none");
}

TEST(Scoring, Phq9ItemNineAboveZeroIsCriticalAndHigh) {
  const Instrument& in = Get("PHQ-9");
  std::vector<int> answers(9, 0);
  EXPECT_TRUE(Score(in, answers).critical.empty());
  for (int value = 1; value <= 3; ++value) {
    answers[8] = value;
    const Scored s = Score(in, answers);
    ASSERT_EQ(s.critical.size(), 1u);
    EXPECT_EQ(s.critical[0].item_number, 9);
    EXPECT_EQ(s.critical[0].answer, value);
    EXPECT_EQ(s.critical[0].risk_level, RiskLevel::kHigh);
    EXPECT_EQ(s.CriticalItemNumbers(), std::vector<int>{9});
  }
  answers = std::vector<int>(9, 3);
  answers[8] = 0;
  EXPECT_TRUE(Score(in, answers).critical.empty());  // severe total alone opens no alert
}

TEST(Scoring, Who5AnyItemAtOneOrBelowNeedsFollowUp) {
  const Instrument& in = Get("WHO-5");
  EXPECT_TRUE(Score(in, {2, 2, 2, 2, 2}).critical.empty());
  const Scored s = Score(in, {5, 1, 5, 0, 2});
  EXPECT_EQ(s.CriticalItemNumbers(), (std::vector<int>{2, 4}));
  for (const auto& c : s.critical) EXPECT_EQ(c.risk_level, RiskLevel::kLow);
  EXPECT_DOUBLE_EQ(s.total, 52);
}

TEST(Scoring, CssrsIsARiskLevelNotASum) {
  const Instrument& in = Get("C-SSRS");
  EXPECT_DOUBLE_EQ(Score(in, {0, 0, 0, 0, 0, 0}).total, 0);
  EXPECT_EQ(Score(in, {0, 0, 0, 0, 0, 0}).band->label, "no risk identified");
  const Scored low = Score(in, {1, 1, 0, 0, 0, 0});
  EXPECT_DOUBLE_EQ(low.total, 1);
  EXPECT_EQ(low.band->label, "low");
  EXPECT_TRUE(low.critical.empty());
  EXPECT_DOUBLE_EQ(Score(in, {1, 1, 1, 0, 0, 0}).total, 2);  // Q3: moderate
  const Scored lifetime = Score(in, {0, 0, 0, 0, 0, 1});     // Q6 over 3 months ago: moderate
  EXPECT_DOUBLE_EQ(lifetime.total, 2);
  ASSERT_EQ(lifetime.critical.size(), 1u);
  EXPECT_EQ(lifetime.critical[0].risk_level, RiskLevel::kModerate);
  const Scored recent = Score(in, {0, 0, 0, 0, 0, 2});  // Q6 in the past 3 months: high
  EXPECT_DOUBLE_EQ(recent.total, 3);
  ASSERT_EQ(recent.critical.size(), 1u);
  EXPECT_EQ(recent.critical[0].risk_level, RiskLevel::kHigh);
  const Scored intent = Score(in, {1, 1, 1, 1, 1, 0});
  EXPECT_DOUBLE_EQ(intent.total, 3);
  EXPECT_TRUE(intent.band->acute);
  EXPECT_EQ(intent.CriticalItemNumbers(), (std::vector<int>{4, 5}));
  for (const auto& c : intent.critical) EXPECT_EQ(c.risk_level, RiskLevel::kHigh);
}

TEST(CheckAnswers, NamesTheItemForEveryBadShape) {
  const Instrument& in = Get("PHQ-9");
  auto too_few = CheckAnswers(in, std::vector<int>(8, 0));
  ASSERT_EQ(too_few.size(), 1u);
  EXPECT_EQ(too_few[0].field, "answers");
  EXPECT_NE(too_few[0].description.find("9 items"), std::string::npos);

  auto too_many = CheckAnswers(in, std::vector<int>(10, 0));
  ASSERT_EQ(too_many.size(), 2u);
  EXPECT_EQ(too_many[0].field, "answers");
  EXPECT_EQ(too_many[1].field, "answers[9]");

  std::vector<int> high(9, 0);
  high[8] = 4;
  auto out_of_range = CheckAnswers(in, high);
  ASSERT_EQ(out_of_range.size(), 1u);
  EXPECT_EQ(out_of_range[0].field, "answers[8]");
  EXPECT_NE(out_of_range[0].description.find("0..3"), std::string::npos);

  std::vector<int> negative(9, 0);
  negative[2] = -1;
  auto neg = CheckAnswers(in, negative);
  ASSERT_EQ(neg.size(), 1u);
  EXPECT_EQ(neg[0].field, "answers[2]");

  EXPECT_EQ(CheckAnswers(in, {}).size(), 1u);
  // K10 answers start at 1: 0 is out of range.
  auto k10 = CheckAnswers(Get("K10"), std::vector<int>(10, 0));
  EXPECT_EQ(k10.size(), 10u);
  EXPECT_EQ(k10[0].field, "answers[0]");
}

}  // namespace
}  // namespace iop::outcomes::domain
