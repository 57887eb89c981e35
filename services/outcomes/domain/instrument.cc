#include "outcomes/domain/instrument.h"

#include <algorithm>
#include <set>

namespace iop::outcomes::domain {

const Item* Instrument::FindItem(int number) const {
  for (const auto& item : items) {
    if (item.number == number) return &item;
  }
  return nullptr;
}

int Instrument::LevelOf(const Item& item, int answer) const {
  if (answer <= item.min_value) return 0;
  for (const auto& option : item.options) {
    if (option.value == answer && option.level > 0) return option.level;
  }
  return item.level;
}

double Instrument::MinTotal() const {
  if (rule == ScoringRule::kLevel) return 0;
  double sum = 0;
  for (const auto& item : items) sum += item.min_value;
  return sum * Scale();
}

double Instrument::MaxTotal() const {
  if (rule == ScoringRule::kLevel) {
    int top = 0;
    for (const auto& item : items) {
      for (int v = item.min_value + 1; v <= item.max_value; ++v) top = std::max(top, LevelOf(item, v));
    }
    return top;
  }
  double sum = 0;
  for (const auto& item : items) sum += item.max_value;
  return sum * Scale();
}

std::vector<double> Instrument::ReachableTotals() const {
  std::vector<double> out;
  if (rule == ScoringRule::kLevel) {
    std::set<int> levels{0};
    for (const auto& item : items) {
      for (int v = item.min_value + 1; v <= item.max_value; ++v) levels.insert(LevelOf(item, v));
    }
    out.assign(levels.begin(), levels.end());
    return out;
  }
  // Item ranges are contiguous, so every raw sum between the extremes occurs.
  long low = 0, high = 0;
  for (const auto& item : items) {
    low += item.min_value;
    high += item.max_value;
  }
  for (long raw = low; raw <= high; ++raw) out.push_back(static_cast<double>(raw) * Scale());
  return out;
}

double JacobsonTruaxCutoff(const Norms& n) {
  if (n.functional_sd <= 0 || n.clinical_sd <= 0) return 0;
  return (n.functional_sd * n.clinical_mean + n.clinical_sd * n.functional_mean) /
         (n.functional_sd + n.clinical_sd);
}

}  // namespace iop::outcomes::domain
