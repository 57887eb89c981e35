// Jacobson-Truax change with the reference's worked examples, the threshold
// form, direction for higher-is-better scales, and cohort figures.
#include "outcomes/domain/change.h"

#include <gtest/gtest.h>

#include <cmath>

#include "outcomes/domain/builtin.h"

namespace iop::outcomes::domain {
namespace {

double Round2(double v) { return std::round(v * 100) / 100; }

TEST(JacobsonTruax, Phq9FiguresMatchTheReference) {
  const Instrument& phq = *FindBuiltIn("PHQ-9");
  EXPECT_NEAR(StandardErrorOfDifference(phq), 2.861, 0.0005);
  EXPECT_EQ(Round2(phq.clinical_cutoff), 8.60);
  EXPECT_NEAR(1.96 * StandardErrorOfDifference(phq), 5.61, 0.005);  // |Δ| ≥ 5.61, i.e. 6 points
}

TEST(JacobsonTruax, Phq9From19To7IsRecovered) {
  const Change c = AnalyzeChange(*FindBuiltIn("PHQ-9"), 19, 7);
  EXPECT_DOUBLE_EQ(c.change, -12);
  EXPECT_EQ(Round2(c.reliable_change_index), -4.19);
  EXPECT_EQ(c.category, ChangeCategory::kReliablyImproved);
  EXPECT_TRUE(c.clinically_significant);
}

TEST(JacobsonTruax, Phq9From14To9IsNoReliableChange) {
  const Change c = AnalyzeChange(*FindBuiltIn("PHQ-9"), 14, 9);
  EXPECT_DOUBLE_EQ(c.change, -5);
  EXPECT_EQ(Round2(c.reliable_change_index), -1.75);
  EXPECT_EQ(c.category, ChangeCategory::kNoReliableChange);
  EXPECT_FALSE(c.clinically_significant);
}

TEST(JacobsonTruax, SixPointsIsTheSmallestReliablePhq9Change) {
  const Instrument& phq = *FindBuiltIn("PHQ-9");
  EXPECT_EQ(AnalyzeChange(phq, 20, 15).category, ChangeCategory::kNoReliableChange);
  EXPECT_EQ(AnalyzeChange(phq, 20, 14).category, ChangeCategory::kReliablyImproved);
  EXPECT_EQ(AnalyzeChange(phq, 8, 14).category, ChangeCategory::kReliablyDeteriorated);
  EXPECT_FALSE(AnalyzeChange(phq, 8, 14).clinically_significant);
}

TEST(JacobsonTruax, ReliableImprovementThatStaysAboveTheCutoffIsNotRecovery) {
  const Change c = AnalyzeChange(*FindBuiltIn("PHQ-9"), 27, 9);  // 9 > 8.60
  EXPECT_EQ(c.category, ChangeCategory::kReliablyImproved);
  EXPECT_FALSE(c.clinically_significant);
  // Starting already in the functional range is not a crossing either.
  const Change from_functional = AnalyzeChange(*FindBuiltIn("PHQ-9"), 8, 0);
  EXPECT_EQ(from_functional.category, ChangeCategory::kReliablyImproved);
  EXPECT_FALSE(from_functional.clinically_significant);
}

TEST(ThresholdForm, Gad7UsesItsPublishedFourPoints) {
  const Instrument& gad = *FindBuiltIn("GAD-7");
  const Change three = AnalyzeChange(gad, 15, 12);
  EXPECT_EQ(three.category, ChangeCategory::kNoReliableChange);
  EXPECT_DOUBLE_EQ(three.reliable_change_index, -3 * 1.96 / 4);
  const Change four = AnalyzeChange(gad, 13, 9);
  EXPECT_EQ(four.category, ChangeCategory::kReliablyImproved);
  EXPECT_TRUE(four.clinically_significant);  // 13 ≥ 10 → 9 < 10
  EXPECT_DOUBLE_EQ(four.reliable_change_index, -1.96);
}

TEST(ThresholdForm, Who5HigherIsBetter) {
  const Instrument& who = *FindBuiltIn("WHO-5");
  const Change up = AnalyzeChange(who, 40, 60);
  EXPECT_EQ(up.category, ChangeCategory::kReliablyImproved);
  EXPECT_TRUE(up.clinically_significant);  // 40 ≤ 50 → 60 > 50
  EXPECT_GT(up.reliable_change_index, 0);
  EXPECT_EQ(AnalyzeChange(who, 60, 48).category, ChangeCategory::kReliablyDeteriorated);
  EXPECT_EQ(AnalyzeChange(who, 60, 52).category, ChangeCategory::kNoReliableChange);
}

TEST(NoFigures, ChangeOnlyForInstrumentsWithoutChangeFigures) {
  for (const char* code : {"C-SSRS", "AUDIT-C", "DAST-10", "K10"}) {
    const Change c = AnalyzeChange(*FindBuiltIn(code), 3, 1);
    EXPECT_DOUBLE_EQ(c.change, -2) << code;
    EXPECT_DOUBLE_EQ(c.reliable_change_index, 0) << code;
    EXPECT_EQ(c.category, ChangeCategory::kUnspecified) << code;
  }
}

TEST(Series, FewerThanTwoScoresIsInsufficientData) {
  const Instrument& phq = *FindBuiltIn("PHQ-9");
  EXPECT_EQ(AnalyzeSeries(phq, {}).category, ChangeCategory::kInsufficientData);
  EXPECT_EQ(AnalyzeSeries(phq, {12}).category, ChangeCategory::kInsufficientData);
  const Change c = AnalyzeSeries(phq, {19, 25, 12, 7});  // baseline first, latest last
  EXPECT_DOUBLE_EQ(c.change, -12);
  EXPECT_TRUE(c.clinically_significant);
}

TEST(Cohort, HandComputedFigures) {
  // Baselines 19, 14, 20; latest 7, 9, 22 → changes −12, −5, +2.
  // Mean baseline 53/3, mean change −5; baseline SD (n−1) = sqrt(((4/3)²+(11/3)²+(7/3)²)/2) = sqrt(31/3).
  const CohortSummary s = SummarizeCohort(*FindBuiltIn("PHQ-9"), {{19, 12, 7}, {14, 9}, {20, 22}, {10}});
  EXPECT_EQ(s.clients_assessed, 4);
  EXPECT_EQ(s.clients_measured, 3);
  EXPECT_DOUBLE_EQ(s.mean_baseline, 53.0 / 3);
  EXPECT_DOUBLE_EQ(s.mean_latest, 38.0 / 3);
  EXPECT_DOUBLE_EQ(s.mean_change, -5);
  EXPECT_DOUBLE_EQ(s.share_reliably_improved, 1.0 / 3);
  EXPECT_DOUBLE_EQ(s.share_reliably_deteriorated, 0);
  EXPECT_DOUBLE_EQ(s.share_recovered, 1.0 / 3);
  EXPECT_NEAR(s.effect_size, -5 / std::sqrt(31.0 / 3), 1e-12);
}

TEST(Cohort, NobodyMeasuredOrNoSpreadGivesZeros) {
  const Instrument& phq = *FindBuiltIn("PHQ-9");
  const CohortSummary none = SummarizeCohort(phq, {{10}, {}});
  EXPECT_EQ(none.clients_assessed, 1);
  EXPECT_EQ(none.clients_measured, 0);
  EXPECT_DOUBLE_EQ(none.mean_change, 0);
  const CohortSummary one = SummarizeCohort(phq, {{19, 7}});
  EXPECT_DOUBLE_EQ(one.effect_size, 0);  // fewer than two clients
  const CohortSummary flat = SummarizeCohort(phq, {{15, 7}, {15, 9}});
  EXPECT_DOUBLE_EQ(flat.effect_size, 0);  // no spread at baseline
  EXPECT_DOUBLE_EQ(flat.share_reliably_improved, 1);
  EXPECT_DOUBLE_EQ(flat.share_recovered, 0.5);
}

}  // namespace
}  // namespace iop::outcomes::domain
