#include "common/drain.h"

#include <algorithm>

namespace iop::server {
namespace {

std::int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Drain::Clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<Drain::Ticket> Drain::Admit() {
  // Count first, then look at the gate: Close() sets the gate, then reads
  // the count, so a call is either refused or seen as in flight.
  in_flight_.fetch_add(1);
  if (!closed_.load()) return Ticket(this);
  last_refused_ns_.store(Now());
  Leave();
  return std::nullopt;
}

void Drain::Close() {
  if (closed_.exchange(true)) return;
  std::vector<std::function<void()>> actions;
  {
    std::lock_guard lock(mu_);
    actions.swap(on_close_);
  }
  for (auto& action : actions) action();
}

void Drain::OnClose(std::function<void()> action) {
  std::lock_guard lock(mu_);
  on_close_.push_back(std::move(action));
}

void Drain::Leave() {
  if (in_flight_.fetch_sub(1) == 1 && closed_.load()) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
}

bool Drain::WaitUntilQuiet(std::chrono::milliseconds quiet, Clock::time_point deadline) {
  const auto quiet_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(quiet).count();
  std::unique_lock lock(mu_);
  while (true) {
    const auto now = Clock::now();
    const std::int64_t since_refusal = Now() - last_refused_ns_.load();
    if (in_flight_.load() == 0 && since_refusal >= quiet_ns) return true;
    if (now >= deadline) return false;
    // Wake when the last call leaves, or when the quiet period may be over.
    auto next = now + std::chrono::nanoseconds(std::max<std::int64_t>(quiet_ns - since_refusal, 0));
    if (in_flight_.load() > 0) next = now + quiet;
    cv_.wait_until(lock, std::min(next, deadline));
  }
}

}  // namespace iop::server
