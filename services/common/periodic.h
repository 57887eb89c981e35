// Runs a task every `period` on a thread of its own until destroyed: for
// figures a replica must re-read because other replicas change them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace iop::server {

class Periodic {
 public:
  // The first run comes one period after construction. `task` must not
  // throw; a run in progress finishes before the destructor returns.
  Periodic(std::chrono::milliseconds period, std::function<void()> task);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  void Loop();

  const std::chrono::milliseconds period_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace iop::server
