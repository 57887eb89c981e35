// Live attendance events of one process, fanned out to the
// WatchSessionAttendance streams of that process.
//
// Limitation (documented in the contract's spirit, "nothing is replayed"):
// the hub is in-process, so with several replicas a watcher connected to
// replica A does not see a check-in handled by replica B. Running more than
// one replica needs a shared channel (for example Redis pub/sub on
// "iop:attendance:<org>:<session>") feeding Publish on every replica; the
// watchers and their lifecycle below would stay as they are.
#pragma once

#include <condition_variable>
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
  void Publish(const std::string& org, const std::string& session_id, const v1::AttendanceEvent& event);
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
  std::set<SessionWatcher*> gone_;  // finished during a round of calls
  bool shutting_down_ = false;
  bool stop_timer_ = false;
  std::thread timer_;
};

}  // namespace iop::attendance::api
