#include "common/periodic.h"

namespace iop::server {

Periodic::Periodic(std::chrono::milliseconds period, std::function<void()> task)
    : period_(period), task_(std::move(task)), thread_([this] { Loop(); }) {}

Periodic::~Periodic() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void Periodic::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    task_();
    lock.lock();
  }
}

}  // namespace iop::server
