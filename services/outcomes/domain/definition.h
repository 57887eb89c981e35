// Checks of an org's own instrument definition before it is stored: a
// definition that passes can score every complete set of answers into
// exactly one band and judge change.
#pragma once

#include <string>
#include <vector>

#include "outcomes/domain/instrument.h"
#include "outcomes/domain/scoring.h"

namespace iop::outcomes::domain {

inline constexpr int kMaxItems = 200;
inline constexpr int kMaxAnswerMagnitude = 1000;

bool IsValidCode(const std::string& code);

// Field paths are relative to the request ("instrument.bands[1].min_score").
std::vector<AnswerProblem> CheckDefinition(const Instrument& instrument);

}  // namespace iop::outcomes::domain
