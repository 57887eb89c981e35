// Change over time (Jacobson & Truax 1991) for one client, and the pre-post
// summary of a cohort.
#pragma once

#include <vector>

#include "outcomes/domain/instrument.h"

namespace iop::outcomes::domain {

// Numbered like iop.outcomes.v1.ChangeCategory.
enum class ChangeCategory {
  kUnspecified = 0,  // the instrument has no change figures
  kReliablyImproved = 1,
  kNoReliableChange = 2,
  kReliablyDeteriorated = 3,
  kInsufficientData = 4,
};

inline constexpr double kReliableZ = 1.96;

// S_diff = sqrt(2·SE²) with SE = s1·sqrt(1 − r); 0 when r or s1 is missing.
double StandardErrorOfDifference(const Instrument& instrument);

// True when the score is strictly on the better side of the clinical cutoff.
bool InFunctionalRange(const Instrument& instrument, double score);

struct Change {
  double change = 0;  // latest − baseline
  double reliable_change_index = 0;
  ChangeCategory category = ChangeCategory::kUnspecified;
  bool clinically_significant = false;  // recovered
};

// Uses the norms when the instrument has reliability and a clinical SD, else
// its published reliable-change threshold T (RCI = change·1.96/T, reliable
// when |change| ≥ T), else reports the change alone (kUnspecified).
Change AnalyzeChange(const Instrument& instrument, double baseline, double latest);

// One series: fewer than two scores → kInsufficientData with zero change.
Change AnalyzeSeries(const Instrument& instrument, const std::vector<double>& scores_in_time_order);

struct CohortSummary {
  int clients_assessed = 0;
  int clients_measured = 0;
  double mean_baseline = 0;
  double mean_latest = 0;
  double mean_change = 0;
  double share_reliably_improved = 0;
  double share_reliably_deteriorated = 0;
  double share_recovered = 0;
  double effect_size = 0;  // mean_change / SD(baselines, n − 1)
};

// `series`: per client, that client's scores in the range in time order.
CohortSummary SummarizeCohort(const Instrument& instrument,
                              const std::vector<std::vector<double>>& series);

}  // namespace iop::outcomes::domain
