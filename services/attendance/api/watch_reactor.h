// The server side of one WatchSessionAttendance stream (callback API).
//
// Lifecycle:
//  1. The handler creates the reactor and returns it to gRPC at once (the
//     callback thread must not block); authorization and the session lookup
//     run on the worker pool, which then calls Begin() or Fail().
//  2. Begin() subscribes to the EventHub, holding the change feed's
//     Interest so this replica hears other replicas' changes. From then on events arrive through
//     Deliver() on whatever thread published them and are queued; exactly
//     one StartWrite is outstanding at a time, the next one starts from
//     OnWriteDone().
//  3. The stream ends through Finish(), called exactly once, for one of:
//     the caller cancels (OnCancel), the server shuts down (Stop), the
//     12-hour limit passes (Tick), the watcher falls too far behind
//     (Deliver), or the start failed (Fail). When a write is outstanding,
//     Finish waits for its OnWriteDone.
//  4. OnDone() is gRPC's last call: the reactor unsubscribes (after which
//     the hub never calls it again), updates the counters and deletes
//     itself. Nothing else deletes it, and no thread touches it after the
//     call that hands it to Finish, so it can neither leak nor be used
//     after free. Deleting it releases the change feed's Interest.
#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "attendance/api/event_hub.h"
#include "attendance/store/change_feed.h"

namespace iop::attendance::api {

class WatchReactor final : public grpc::ServerWriteReactor<v1::AttendanceEvent>, public SessionWatcher {
 public:
  static constexpr size_t kMaxQueued = 1000;
  static constexpr absl::Duration kMaxWatch = absl::Hours(12);

  WatchReactor(EventHub& hub, prometheus::Gauge& active);

  // Reactors alive in this process (tests check it returns to zero).
  static int Live() { return live_.load(); }

  // Called once from the worker: start watching, or end with `status`.
  void Begin(const std::string& org, const std::string& session_id, absl::Time session_end,
             store::ChangeFeed::Interest interest);
  void Fail(const grpc::Status& status);

  // SessionWatcher (called by the hub with its lock held).
  void Deliver(const v1::AttendanceEvent& event) override;
  void Tick(absl::Time now) override;
  absl::Time NextTick() override;
  void Stop(const grpc::Status& status) override;

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // What the caller must do after releasing mu_: nothing, write current_,
  // or Finish(final_).
  enum class Next { kNothing, kWrite, kFinish };
  Next EnqueueLocked(v1::AttendanceEvent event);
  Next PumpLocked();
  Next FinishLocked(const grpc::Status& status);
  void Act(Next next);

  static inline std::atomic<int> live_{0};

  EventHub& hub_;
  prometheus::Gauge& active_;
  store::ChangeFeed::Interest interest_;  // set by Begin, released with the reactor
  std::mutex mu_;
  std::deque<v1::AttendanceEvent> queue_;
  v1::AttendanceEvent current_;  // the message of the outstanding write
  bool begun_ = false;
  bool writing_ = false;
  bool cancelled_ = false;
  bool finishing_ = false;  // Finish decided; called once no write is outstanding
  bool finished_ = false;   // Finish called
  grpc::Status final_;
  std::string session_id_;
  absl::Time session_end_ = absl::InfiniteFuture();
  absl::Time watch_until_ = absl::InfiniteFuture();
  bool end_sent_ = false;
};

}  // namespace iop::attendance::api
