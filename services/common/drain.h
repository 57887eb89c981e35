// Graceful shutdown of the calls a service is running. On SIGTERM the host
// closes the gate: calls already admitted run to the end, new ones are
// refused with UNAVAILABLE (clients retry another replica) while the
// listener is still open. The transport is closed only once nothing is in
// flight and clients have stopped arriving, because gRPC cancels a call that
// races the transport's shutdown instead of refusing it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace iop::server {

class Drain {
 public:
  using Clock = std::chrono::steady_clock;

  // Held by an admitted call; the call stops counting when it is destroyed.
  class Ticket {
   public:
    explicit Ticket(Drain* drain) : drain_(drain) {}
    Ticket(Ticket&& other) noexcept : drain_(other.drain_) { other.drain_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket() {
      if (drain_ != nullptr) drain_->Leave();
    }

   private:
    Drain* drain_;
  };

  // A ticket, or nullopt once Close() was called (the refusal is noted).
  std::optional<Ticket> Admit();
  // From now on every Admit() refuses; the first call runs the OnClose
  // actions. Idempotent.
  void Close();
  // Runs `action` when the drain starts: for calls the gate does not see,
  // such as open streams, which would otherwise hold the drain to its end.
  void OnClose(std::function<void()> action);
  bool closed() const { return closed_.load(); }
  int in_flight() const { return in_flight_.load(); }

  // After Close(): waits until no call is in flight and none was refused for
  // `quiet`, or until `deadline`. True when it got quiet in time.
  bool WaitUntilQuiet(std::chrono::milliseconds quiet, Clock::time_point deadline);

 private:
  void Leave();

  std::atomic<int> in_flight_{0};
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> last_refused_ns_{0};  // Clock, since its epoch
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> on_close_;  // guarded by mu_
};

}  // namespace iop::server
