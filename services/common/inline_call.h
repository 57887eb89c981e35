// Cached reads may run on gRPC's own thread instead of hopping to the worker
// pool: the hop (a hand-off and a wake-up each way) was about a third of a
// cached read's cost in profiles. Such a call runs inside an InlineScope,
// and anything that could block (a database connection, a call to a peer, a
// cache miss, a Redis that is failing or busy) throws WouldBlock instead;
// the runner then starts the call over on the pool. So a hung Redis costs
// gRPC's threads at most one cache timeout before the circuit opens, and a
// call may run inline only if nothing it does before blocking has effects
// (CallSpec::inline_read: reads without an audit record).
#pragma once

namespace iop::server {

// Deliberately not a std::exception, so no handler catches it by accident.
struct WouldBlock {};

class InlineScope {
 public:
  InlineScope();
  ~InlineScope();
  InlineScope(const InlineScope&) = delete;
  InlineScope& operator=(const InlineScope&) = delete;
};

bool RunningInline();
// For code about to block: throws WouldBlock inside an InlineScope.
void ThrowIfInline();

}  // namespace iop::server
