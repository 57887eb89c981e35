#include "outcomes/domain/definition.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

namespace iop::outcomes::domain {
namespace {

std::string At(const std::string& list, size_t i) { return "instrument." + list + "[" + std::to_string(i) + "]"; }

std::string Num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

void CheckItems(const Instrument& in, std::vector<AnswerProblem>& out) {
  if (in.items.empty()) out.push_back({"instrument.items", "needs at least one item"});
  if (in.items.size() > kMaxItems) {
    out.push_back({"instrument.items", "has more than " + std::to_string(kMaxItems) + " items"});
    return;
  }
  for (size_t i = 0; i < in.items.size(); ++i) {
    const Item& item = in.items[i];
    if (item.number != static_cast<int>(i) + 1) {
      out.push_back({At("items", i) + ".number", "must be " + std::to_string(i + 1) + " (items are numbered 1..n in order)"});
    }
    if (item.text.empty() || item.text.size() > 2000) {
      out.push_back({At("items", i) + ".text", "is required (at most 2000 bytes)"});
    }
    if (item.min_value >= item.max_value) {
      out.push_back({At("items", i) + ".min_value", "must be below max_value"});
    }
    if (std::abs(item.min_value) > kMaxAnswerMagnitude || std::abs(item.max_value) > kMaxAnswerMagnitude) {
      out.push_back({At("items", i) + ".max_value", "answers must stay within -1000..1000"});
    }
    int previous = item.min_value - 1;
    for (size_t k = 0; k < item.options.size(); ++k) {
      const ResponseOption& option = item.options[k];
      if (option.value < item.min_value || option.value > item.max_value || option.value <= previous) {
        out.push_back({At("items", i) + ".options[" + std::to_string(k) + "].value",
                       "must be within min_value..max_value, lowest first, without repeats"});
      }
      if (option.level < 0) out.push_back({At("items", i) + ".options[" + std::to_string(k) + "].level", "must not be negative"});
      previous = option.value;
    }
    if (in.rule == ScoringRule::kLevel && item.level < 0) {
      out.push_back({At("items", i) + ".level", "must not be negative"});
    }
  }
}

void CheckBands(const Instrument& in, std::vector<AnswerProblem>& out) {
  const double lo = in.MinTotal(), hi = in.MaxTotal();
  for (size_t i = 0; i < in.bands.size(); ++i) {
    const SeverityBand& b = in.bands[i];
    if (b.label.empty()) out.push_back({At("bands", i) + ".label", "is required"});
    if (b.min_score > b.max_score) out.push_back({At("bands", i) + ".min_score", "must not exceed max_score"});
    if (b.min_score < lo || b.max_score > hi) {
      out.push_back({At("bands", i), "lies outside the total range " + Num(lo) + ".." + Num(hi)});
    }
    if (i > 0 && b.min_score <= in.bands[i - 1].max_score) {
      out.push_back({At("bands", i) + ".min_score", "overlaps bands[" + std::to_string(i - 1) +
                                                        "] (bands are lowest first and must not overlap)"});
    }
  }
  if (in.bands.empty() || !out.empty()) return;
  // Every score the answers can produce must land in a band.
  for (double total : in.ReachableTotals()) {
    if (BandOf(in, total) == nullptr) {
      out.push_back({"instrument.bands", "leave the total " + Num(total) + " without a band"});
      return;
    }
  }
}

void CheckCritical(const Instrument& in, std::vector<AnswerProblem>& out) {
  for (size_t i = 0; i < in.critical_items.size(); ++i) {
    const CriticalItem& c = in.critical_items[i];
    const Item* item = in.FindItem(c.item_number);
    if (item == nullptr) {
      out.push_back({At("critical_items", i) + ".item_number", "names no item of the instrument"});
      continue;
    }
    if (c.min_value > c.max_value || c.min_value < item->min_value || c.max_value > item->max_value) {
      out.push_back({At("critical_items", i) + ".min_value",
                     "range must lie within item " + std::to_string(c.item_number) + "'s answers " +
                         std::to_string(item->min_value) + ".." + std::to_string(item->max_value)});
    }
    if (c.risk_level < RiskLevel::kLow || c.risk_level > RiskLevel::kHigh) {
      out.push_back({At("critical_items", i) + ".risk_level", "must be LOW, MODERATE or HIGH"});
    }
    for (size_t j = 0; j < i; ++j) {
      const CriticalItem& o = in.critical_items[j];
      if (o.item_number == c.item_number && c.min_value <= o.max_value && o.min_value <= c.max_value) {
        out.push_back({At("critical_items", i), "overlaps critical_items[" + std::to_string(j) + "]"});
      }
    }
  }
}

}  // namespace

bool IsValidCode(const std::string& code) {
  if (code.empty() || code.size() > 32) return false;
  return std::all_of(code.begin(), code.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::vector<AnswerProblem> CheckDefinition(const Instrument& in) {
  std::vector<AnswerProblem> out;
  if (!IsValidCode(in.code)) {
    out.push_back({"instrument.code", "must be 1-32 letters, digits, '-', '_' or '.'"});
  }
  if (in.name.empty() || in.name.size() > 200) out.push_back({"instrument.name", "is required (at most 200 bytes)"});
  if (in.rule != ScoringRule::kSum && in.rule != ScoringRule::kLevel) {
    out.push_back({"instrument.scoring.rule", "must be SCORING_RULE_SUM or SCORING_RULE_LEVEL"});
  }
  if (in.scale_factor < 0 || !std::isfinite(in.scale_factor)) {
    out.push_back({"instrument.scoring.scale_factor", "must be positive (0 means 1)"});
  }
  CheckItems(in, out);
  if (!out.empty()) return out;  // bands and critical items need sane items
  CheckBands(in, out);
  CheckCritical(in, out);
  if (in.reliability < 0 || in.reliability >= 1) out.push_back({"instrument.reliability", "must be from 0 to below 1"});
  if (in.norms.clinical_sd < 0 || in.norms.functional_sd < 0) {
    out.push_back({"instrument.norms", "standard deviations must not be negative"});
  }
  if (in.reliable_change_threshold < 0) {
    out.push_back({"instrument.reliable_change_threshold", "must not be negative"});
  }
  const bool has_norms = in.reliability > 0 && in.norms.clinical_sd > 0;
  if (in.rule == ScoringRule::kSum && !has_norms && in.reliable_change_threshold <= 0) {
    out.push_back({"instrument.reliable_change_threshold",
                   "is required when reliability and norms.clinical_sd are not both given"});
  }
  if (in.clinical_cutoff != 0 && (in.clinical_cutoff < in.MinTotal() || in.clinical_cutoff > in.MaxTotal())) {
    out.push_back({"instrument.clinical_cutoff", "lies outside the total range"});
  }
  return out;
}

}  // namespace iop::outcomes::domain
