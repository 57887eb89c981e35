// Scoring one completed questionnaire: answer checks, total, severity band
// and the critical items it triggers.
#pragma once

#include <string>
#include <vector>

#include "outcomes/domain/instrument.h"

namespace iop::outcomes::domain {

struct AnswerProblem {
  std::string field;  // "answers" or "answers[8]" (0-based, as in the request)
  std::string description;
};

// Empty when the answers fit the instrument: one per item, each within the
// item's range.
std::vector<AnswerProblem> CheckAnswers(const Instrument& instrument, const std::vector<int>& answers);

struct TriggeredCritical {
  int item_number = 0;  // 1-based
  int answer = 0;
  RiskLevel risk_level = RiskLevel::kNone;
  std::string description;
};

struct Scored {
  double total = 0;
  const SeverityBand* band = nullptr;  // into the instrument; null when no band matches
  std::vector<TriggeredCritical> critical;
  std::vector<int> CriticalItemNumbers() const;  // distinct, ascending
};

// The band holding `total`, or null.
const SeverityBand* BandOf(const Instrument& instrument, double total);

// Answers must have passed CheckAnswers.
Scored Score(const Instrument& instrument, const std::vector<int>& answers);

}  // namespace iop::outcomes::domain
