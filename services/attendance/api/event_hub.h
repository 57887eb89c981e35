// Live attendance events, fanned out to the WatchSessionAttendance streams
// of this process. A change reaches the hub twice on the replica that made
// it: from its handler at once, and from the database's announcement
// (ChangeRelay), which is also how other replicas hear of it. Each watched
// session remembers the newest version delivered per record, so every
// version is delivered once, and never after a newer one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <grpcpp/support/status.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "iop/attendance/v1/attendance.pb.h"

namespace iop::attendance::api {

namespace v1 = ::iop::attendance::v1;

// One subscriber (a stream). The hub calls these with its own lock held,
// so implementations must not block and must not call back into the hub.
class SessionWatcher {
 public:
  virtual ~SessionWatcher() = default;
  virtual void Deliver(const v1::AttendanceEvent& event) = 0;
  // Lets the watcher act on time passing (session end, maximum duration).
  virtual void Tick(absl::Time now) = 0;
  // When the watcher next wants Tick; absl::InfiniteFuture() for never.
  virtual absl::Time NextTick() = 0;
  // Ends the watch with `status` (server shutdown).
  virtual void Stop(const grpc::Status& status) = 0;
};

class EventHub {
 public:
  EventHub();
  ~EventHub();  // stops the timer thread; every watcher must be gone by then
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // False after Shutdown (the caller should end its stream).
  bool Subscribe(const std::string& org, const std::string& session_id, SessionWatcher* watcher);
  // After this returns the hub never touches `watcher` again.
  void Unsubscribe(SessionWatcher* watcher);
  // Delivers `event` to the session's watchers, unless its record's version
  // was already delivered there (or a newer one).
  void Publish(const std::string& org, const std::string& session_id, const v1::AttendanceEvent& event);
  // Whether anyone here watches the session.
  bool Watched(const std::string& org, const std::string& session_id) const;
  // Ends every watch with UNAVAILABLE and refuses new ones.
  void Shutdown();
  size_t watchers() const;

 private:
  void TimerLoop();
  static std::string KeyOf(const std::string& org, const std::string& session_id);
  void EraseLocked(SessionWatcher* watcher);
  void EraseGoneLocked();

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::multimap<std::string, SessionWatcher*> watchers_;
  // Per watched session: record id -> newest version delivered. Dropped
  // with the session's last watcher.
  std::map<std::string, std::map<std::string, std::int64_t>> delivered_;
  std::set<SessionWatcher*> gone_;  // finished during a round of calls
  bool shutting_down_ = false;
  bool stop_timer_ = false;
  std::thread timer_;
};

}  // namespace iop::attendance::api
