// Scoring a submitted questionnaire and the change figures of a cohort:
// SubmitAssessment and GetCohortOutcomes run these on every call.
#include <benchmark/benchmark.h>

#include "outcomes/domain/builtin.h"
#include "outcomes/domain/change.h"
#include "outcomes/domain/scoring.h"

namespace {

namespace d = iop::outcomes::domain;

const d::Instrument& Builtin(const char* code) {
  const d::Instrument* i = d::FindBuiltIn(code);
  if (i == nullptr) throw std::runtime_error(std::string("no built-in instrument ") + code);
  return *i;
}

std::vector<int> Answers(const d::Instrument& instrument, int seed) {
  std::vector<int> out;
  for (const auto& item : instrument.items) {
    int span = item.max_value - item.min_value + 1;
    out.push_back(item.min_value + (seed + item.number * 7) % span);
  }
  return out;
}

void BM_CheckAndScore(benchmark::State& state, const char* code) {
  const d::Instrument& instrument = Builtin(code);
  const auto answers = Answers(instrument, 3);
  for (auto _ : state) {
    auto problems = d::CheckAnswers(instrument, answers);
    auto scored = d::Score(instrument, answers);
    benchmark::DoNotOptimize(problems.data());
    benchmark::DoNotOptimize(scored.total);
  }
}
BENCHMARK_CAPTURE(BM_CheckAndScore, phq9, "PHQ-9");
BENCHMARK_CAPTURE(BM_CheckAndScore, pcl5, "PCL-5");

void BM_ReliableChange(benchmark::State& state) {
  const d::Instrument& instrument = Builtin("PHQ-9");
  double baseline = 18;
  for (auto _ : state) {
    auto change = d::AnalyzeChange(instrument, baseline, 7);
    benchmark::DoNotOptimize(change.reliable_change_index);
  }
}
BENCHMARK(BM_ReliableChange);

// A cohort of `n` clients with six scores each.
void BM_SummarizeCohort(benchmark::State& state) {
  const d::Instrument& instrument = Builtin("PHQ-9");
  std::vector<std::vector<double>> series;
  for (int c = 0; c < state.range(0); ++c) {
    std::vector<double> s;
    for (int k = 0; k < 6; ++k) s.push_back((c * 13 + k * 5) % 28);
    series.push_back(std::move(s));
  }
  for (auto _ : state) {
    auto summary = d::SummarizeCohort(instrument, series);
    benchmark::DoNotOptimize(summary.effect_size);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SummarizeCohort)->Arg(100)->Arg(10000);

}  // namespace
