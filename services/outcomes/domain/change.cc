#include "outcomes/domain/change.h"

#include <cmath>

namespace iop::outcomes::domain {

double StandardErrorOfDifference(const Instrument& instrument) {
  const double r = instrument.reliability;
  const double s1 = instrument.norms.clinical_sd;
  if (r <= 0 || r >= 1 || s1 <= 0) return 0;
  const double se = s1 * std::sqrt(1 - r);
  return std::sqrt(2 * se * se);
}

bool InFunctionalRange(const Instrument& instrument, double score) {
  if (instrument.clinical_cutoff == 0) return false;
  return instrument.higher_is_better ? score > instrument.clinical_cutoff
                                     : score < instrument.clinical_cutoff;
}

Change AnalyzeChange(const Instrument& instrument, double baseline, double latest) {
  Change out;
  out.change = latest - baseline;
  bool reliable = false;
  if (const double s_diff = StandardErrorOfDifference(instrument); s_diff > 0) {
    out.reliable_change_index = out.change / s_diff;
    reliable = std::abs(out.reliable_change_index) > kReliableZ;
  } else if (const double t = instrument.reliable_change_threshold; t > 0) {
    out.reliable_change_index = out.change * kReliableZ / t;
    reliable = std::abs(out.change) >= t;
  } else {
    return out;  // no change figures: change only
  }
  const bool better = instrument.higher_is_better ? out.change > 0 : out.change < 0;
  if (!reliable) {
    out.category = ChangeCategory::kNoReliableChange;
  } else if (better) {
    out.category = ChangeCategory::kReliablyImproved;
    out.clinically_significant =
        !InFunctionalRange(instrument, baseline) && InFunctionalRange(instrument, latest);
  } else {
    out.category = ChangeCategory::kReliablyDeteriorated;
  }
  return out;
}

Change AnalyzeSeries(const Instrument& instrument, const std::vector<double>& scores) {
  if (scores.size() < 2) {
    Change out;
    out.category = ChangeCategory::kInsufficientData;
    return out;
  }
  return AnalyzeChange(instrument, scores.front(), scores.back());
}

CohortSummary SummarizeCohort(const Instrument& instrument,
                              const std::vector<std::vector<double>>& series) {
  CohortSummary out;
  std::vector<double> baselines;
  double sum_latest = 0, sum_change = 0;
  int improved = 0, deteriorated = 0, recovered = 0;
  for (const auto& scores : series) {
    if (scores.empty()) continue;
    ++out.clients_assessed;
    if (scores.size() < 2) continue;
    ++out.clients_measured;
    baselines.push_back(scores.front());
    sum_latest += scores.back();
    const Change c = AnalyzeChange(instrument, scores.front(), scores.back());
    sum_change += c.change;
    improved += c.category == ChangeCategory::kReliablyImproved;
    deteriorated += c.category == ChangeCategory::kReliablyDeteriorated;
    recovered += c.category == ChangeCategory::kReliablyImproved && c.clinically_significant;
  }
  const int n = out.clients_measured;
  if (n == 0) return out;
  double sum_baseline = 0;
  for (double b : baselines) sum_baseline += b;
  out.mean_baseline = sum_baseline / n;
  out.mean_latest = sum_latest / n;
  out.mean_change = sum_change / n;
  out.share_reliably_improved = static_cast<double>(improved) / n;
  out.share_reliably_deteriorated = static_cast<double>(deteriorated) / n;
  out.share_recovered = static_cast<double>(recovered) / n;
  if (n >= 2) {
    double squares = 0;
    for (double b : baselines) squares += (b - out.mean_baseline) * (b - out.mean_baseline);
    const double sd = std::sqrt(squares / (n - 1));
    if (sd > 0) out.effect_size = out.mean_change / sd;
  }
  return out;
}

}  // namespace iop::outcomes::domain
