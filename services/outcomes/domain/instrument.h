// Instruments as data: what a questionnaire asks, how its answers score, and
// the published figures used to judge a score and a change. Plain structs so
// the scoring and change rules are testable without gRPC or a database.
#pragma once

#include <string>
#include <vector>

namespace iop::outcomes::domain {

// Numbered like iop.outcomes.v1.RiskSeverity so conversion is a cast.
enum class RiskLevel { kNone = 0, kLow = 1, kModerate = 2, kHigh = 3 };

enum class ScoringRule { kUnspecified = 0, kSum = 1, kLevel = 2 };

struct ResponseOption {
  int value = 0;
  std::string label;
  int level = 0;  // kLevel only: overrides Item::level for this answer when > 0
};

struct Item {
  int number = 0;  // 1-based
  std::string text;
  std::vector<ResponseOption> options;
  int min_value = 0;
  int max_value = 0;
  bool reverse_scored = false;  // scores as min + max - answer
  int level = 0;                // kLevel: level indicated when answered above min_value
};

struct SeverityBand {
  double min_score = 0;  // inclusive
  double max_score = 0;  // inclusive
  std::string label;
  bool acute = false;  // calls for individual care before group therapy
};

struct CriticalItem {
  int item_number = 0;
  int min_value = 0;  // raw answer, inclusive
  int max_value = 0;
  RiskLevel risk_level = RiskLevel::kNone;
  std::string description;
};

struct Norms {
  double clinical_mean = 0;
  double clinical_sd = 0;
  double functional_mean = 0;
  double functional_sd = 0;
  std::string source;
};

struct Instrument {
  std::string code;
  std::string org_id;  // empty for built-ins
  std::string name;
  std::string description;
  std::vector<Item> items;
  ScoringRule rule = ScoringRule::kUnspecified;
  double scale_factor = 1;  // 0 is read as 1
  std::vector<SeverityBand> bands;
  std::vector<CriticalItem> critical_items;
  double reliability = 0;                // 0 = unknown
  Norms norms;
  double reliable_change_threshold = 0;  // published smallest reliable change; 0 = unknown
  double clinical_cutoff = 0;            // 0 = none
  bool higher_is_better = false;
  bool built_in = false;
  std::string loinc_code;
  std::string license;

  double Scale() const { return scale_factor == 0 ? 1 : scale_factor; }
  const Item* FindItem(int number) const;
  // Lowest and highest possible totals (risk levels for kLevel).
  double MinTotal() const;
  double MaxTotal() const;
  // Every total a complete set of answers can produce, ascending.
  std::vector<double> ReachableTotals() const;
  // The level an item indicates for `answer` (kLevel).
  int LevelOf(const Item& item, int answer) const;
};

// Jacobson-Truax cutoff c = (SD_func·M_dys + SD_dys·M_func) / (SD_func + SD_dys);
// 0 when the functional norms are missing.
double JacobsonTruaxCutoff(const Norms& norms);

}  // namespace iop::outcomes::domain
