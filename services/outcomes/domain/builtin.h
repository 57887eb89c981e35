// The built-in instrument library: free-to-use instruments every org sees,
// read-only, with the figures of reference/instruments.md.
#pragma once

#include <string>
#include <vector>

#include "outcomes/domain/instrument.h"

namespace iop::outcomes::domain {

// Ordered by code. Built once, lives for the process.
const std::vector<Instrument>& BuiltInInstruments();

// The built-in with this exact code, or null.
const Instrument* FindBuiltIn(const std::string& code);

}  // namespace iop::outcomes::domain
