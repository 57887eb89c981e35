#include "attendance/api/event_hub.h"

#include <algorithm>
#include <iterator>

namespace iop::attendance::api {
namespace {

// Set while this thread calls watchers with mu_ held. A watcher's Finish
// may run its OnDone on the same thread before returning; the Unsubscribe
// that follows must then not lock mu_ again (it already holds it) nor erase
// entries the caller is iterating over.
thread_local int calling_watchers = 0;

struct CallingWatchers {
  CallingWatchers() { ++calling_watchers; }
  ~CallingWatchers() { --calling_watchers; }
};

}  // namespace

EventHub::EventHub() : timer_([this] { TimerLoop(); }) {}

EventHub::~EventHub() {
  {
    std::lock_guard lock(mu_);
    stop_timer_ = true;
  }
  changed_.notify_all();
  timer_.join();
}

std::string EventHub::KeyOf(const std::string& org, const std::string& session_id) {
  // Length-prefixed so no (org, session) pair can collide with another.
  return std::to_string(org.size()) + ":" + org + session_id;
}

bool EventHub::Subscribe(const std::string& org, const std::string& session_id,
                         SessionWatcher* watcher) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return false;
    watchers_.emplace(KeyOf(org, session_id), watcher);
  }
  changed_.notify_all();  // its deadline may be the earliest now
  return true;
}

void EventHub::Unsubscribe(SessionWatcher* watcher) {
  if (calling_watchers > 0) {
    // mu_ is held by this very thread (see CallingWatchers): the watcher is
    // removed when the current round of calls ends, and not called again.
    gone_.insert(watcher);
    return;
  }
  std::lock_guard lock(mu_);
  EraseLocked(watcher);
}

void EventHub::EraseLocked(SessionWatcher* watcher) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (it->second != watcher) {
      ++it;
      continue;
    }
    const std::string key = it->first;
    it = watchers_.erase(it);
    if (watchers_.count(key) == 0) delivered_.erase(key);
  }
}

void EventHub::EraseGoneLocked() {
  for (auto* w : gone_) EraseLocked(w);
  gone_.clear();
}

void EventHub::Publish(const std::string& org, const std::string& session_id,
                       const v1::AttendanceEvent& event) {
  const std::string key = KeyOf(org, session_id);
  std::lock_guard lock(mu_);
  auto [begin, end] = watchers_.equal_range(key);
  if (begin == end) return;
  if (event.has_record()) {
    std::int64_t& newest = delivered_[key][event.record().id()];
    if (event.record().version() <= newest) return;
    newest = event.record().version();
  }
  {
    CallingWatchers calling;
    for (auto it = begin; it != end; ++it) {
      if (!gone_.count(it->second)) it->second->Deliver(event);
    }
  }
  EraseGoneLocked();
}

void EventHub::Shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  // Watchers unsubscribe themselves once gRPC has finished their streams.
  {
    CallingWatchers calling;
    for (auto& [key, w] : watchers_) {
      if (!gone_.count(w)) {
        w->Stop(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down; reconnect"));
      }
    }
  }
  EraseGoneLocked();
}

bool EventHub::Watched(const std::string& org, const std::string& session_id) const {
  std::lock_guard lock(mu_);
  return watchers_.count(KeyOf(org, session_id)) > 0;
}

size_t EventHub::watchers() const {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

void EventHub::TimerLoop() {
  std::unique_lock lock(mu_);
  while (!stop_timer_) {
    absl::Time next = absl::Now() + absl::Minutes(1);
    for (auto& [key, w] : watchers_) next = std::min(next, w->NextTick());
    changed_.wait_until(lock, absl::ToChronoTime(next));
    if (stop_timer_) break;
    const absl::Time now = absl::Now();
    {
      CallingWatchers calling;
      for (auto& [key, w] : watchers_) {
        if (!gone_.count(w) && w->NextTick() <= now) w->Tick(now);
      }
    }
    EraseGoneLocked();
  }
}

}  // namespace iop::attendance::api
