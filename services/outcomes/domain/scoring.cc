#include "outcomes/domain/scoring.h"

#include <algorithm>

namespace iop::outcomes::domain {

std::vector<AnswerProblem> CheckAnswers(const Instrument& instrument, const std::vector<int>& answers) {
  std::vector<AnswerProblem> problems;
  const size_t want = instrument.items.size();
  if (answers.size() != want) {
    problems.push_back({"answers", instrument.code + " has " + std::to_string(want) +
                                       " items; got " + std::to_string(answers.size()) + " answers"});
    // Still name the surplus answers so the caller sees which ones.
    for (size_t i = want; i < answers.size(); ++i) {
      problems.push_back({"answers[" + std::to_string(i) + "]",
                          "is beyond the last item (" + instrument.code + " has " +
                              std::to_string(want) + " items)"});
    }
  }
  for (size_t i = 0; i < std::min(want, answers.size()); ++i) {
    const Item& item = instrument.items[i];
    if (answers[i] < item.min_value || answers[i] > item.max_value) {
      problems.push_back({"answers[" + std::to_string(i) + "]",
                          "item " + std::to_string(item.number) + " answer " +
                              std::to_string(answers[i]) + " is outside " +
                              std::to_string(item.min_value) + ".." + std::to_string(item.max_value)});
    }
  }
  return problems;
}

const SeverityBand* BandOf(const Instrument& instrument, double total) {
  for (const auto& band : instrument.bands) {
    if (total >= band.min_score && total <= band.max_score) return &band;
  }
  return nullptr;
}

std::vector<int> Scored::CriticalItemNumbers() const {
  std::vector<int> out;
  for (const auto& c : critical) out.push_back(c.item_number);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Scored Score(const Instrument& instrument, const std::vector<int>& answers) {
  Scored out;
  if (instrument.rule == ScoringRule::kLevel) {
    int level = 0;
    for (size_t i = 0; i < instrument.items.size(); ++i) {
      level = std::max(level, instrument.LevelOf(instrument.items[i], answers[i]));
    }
    out.total = level;
  } else {
    long raw = 0;
    for (size_t i = 0; i < instrument.items.size(); ++i) {
      const Item& item = instrument.items[i];
      raw += item.reverse_scored ? item.min_value + item.max_value - answers[i] : answers[i];
    }
    out.total = static_cast<double>(raw) * instrument.Scale();
  }
  out.band = BandOf(instrument, out.total);
  for (const auto& c : instrument.critical_items) {
    const size_t index = static_cast<size_t>(c.item_number - 1);
    if (index >= answers.size()) continue;
    const int answer = answers[index];
    if (answer >= c.min_value && answer <= c.max_value) {
      out.critical.push_back({c.item_number, answer, c.risk_level, c.description});
    }
  }
  return out;
}

}  // namespace iop::outcomes::domain
