#include "attendance/api/watch_reactor.h"

#include "common/sql.h"

namespace iop::attendance::api {

WatchReactor::WatchReactor(EventHub& hub, prometheus::Gauge& active) : hub_(hub), active_(active) {
  ++live_;
  active_.Increment();
}

void WatchReactor::Begin(const std::string& org, const std::string& session_id,
                         absl::Time session_end, store::ChangeFeed::Interest interest) {
  {
    std::lock_guard lock(mu_);
    interest_ = std::move(interest);
    session_id_ = session_id;
    session_end_ = session_end;
    watch_until_ = absl::Now() + kMaxWatch;
  }
  // Subscribe outside mu_: the hub's lock is always taken before ours.
  bool subscribed = hub_.Subscribe(org, session_id, this);
  Next next;
  {
    std::lock_guard lock(mu_);
    begun_ = true;
    if (!subscribed) {
      next = FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    } else if (cancelled_) {
      next = FinishLocked(grpc::Status::CANCELLED);
    } else {
      next = PumpLocked();  // events published since Subscribe
    }
  }
  Act(next);
}

void WatchReactor::Fail(const grpc::Status& status) {
  Next next;
  {
    std::lock_guard lock(mu_);
    begun_ = true;
    next = FinishLocked(status);
  }
  Act(next);
}

void WatchReactor::Deliver(const v1::AttendanceEvent& event) {
  Next next;
  {
    std::lock_guard lock(mu_);
    next = EnqueueLocked(event);
  }
  Act(next);
}

void WatchReactor::Tick(absl::Time now) {
  Next next = Next::kNothing;
  {
    std::lock_guard lock(mu_);
    if (now >= watch_until_) {
      next = FinishLocked(grpc::Status::OK);  // reconnect to continue
    } else if (!end_sent_ && now >= session_end_) {
      end_sent_ = true;
      v1::AttendanceEvent ended;
      ended.set_kind(v1::EVENT_KIND_SESSION_ENDED);
      ended.set_session_id(session_id_);
      *ended.mutable_occurred_at() = sql::TimestampFromMicros(absl::ToUnixMicros(now));
      // The session is over: announce it, let queued events drain, end OK.
      if (!finishing_) {
        queue_.push_back(std::move(ended));
        finishing_ = true;
        final_ = grpc::Status::OK;
        next = PumpLocked();
      }
    }
  }
  Act(next);
}

absl::Time WatchReactor::NextTick() {
  std::lock_guard lock(mu_);
  // session_end_ is set before Subscribe, so this is right from the start.
  if (finishing_) return absl::InfiniteFuture();
  return end_sent_ ? watch_until_ : std::min(session_end_, watch_until_);
}

void WatchReactor::Stop(const grpc::Status& status) {
  Next next;
  {
    std::lock_guard lock(mu_);
    next = FinishLocked(status);
  }
  Act(next);
}

void WatchReactor::OnWriteDone(bool ok) {
  Next next;
  {
    std::lock_guard lock(mu_);
    writing_ = false;
    // A failed write means the stream is broken (usually cancelled).
    next = ok ? PumpLocked() : FinishLocked(grpc::Status::CANCELLED);
  }
  Act(next);
}

void WatchReactor::OnCancel() {
  Next next = Next::kNothing;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    // Before Begin/Fail the worker still holds this reactor; it finishes then.
    if (begun_) next = FinishLocked(grpc::Status::CANCELLED);
  }
  Act(next);
}

void WatchReactor::OnDone() {
  hub_.Unsubscribe(this);
  active_.Decrement();
  --live_;
  delete this;
}

WatchReactor::Next WatchReactor::EnqueueLocked(v1::AttendanceEvent event) {
  if (finishing_) return Next::kNothing;
  if (queue_.size() >= kMaxQueued) {
    return FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     "the watcher fell too far behind; call GetSessionAttendance "
                                     "and watch again"));
  }
  queue_.push_back(std::move(event));
  return PumpLocked();
}

WatchReactor::Next WatchReactor::PumpLocked() {
  // Until Begin (or Fail) has run, the worker still uses this reactor:
  // events and ticks that arrive after Subscribe only queue, so nothing can
  // finish (and delete) the reactor under the worker's feet.
  if (!begun_ || writing_) return Next::kNothing;
  // Errors clear the queue first; a session's end leaves its last events
  // queued, so they are written before the stream finishes.
  if (finishing_ && queue_.empty()) {
    if (finished_) return Next::kNothing;
    finished_ = true;
    return Next::kFinish;
  }
  if (queue_.empty()) return Next::kNothing;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  return Next::kWrite;
}

WatchReactor::Next WatchReactor::FinishLocked(const grpc::Status& status) {
  if (finishing_) return Next::kNothing;
  finishing_ = true;
  final_ = status;
  queue_.clear();
  return PumpLocked();
}

// gRPC calls are made outside mu_: Finish may lead to OnDone (and delete
// this) on another thread at once, so it is the last thing done here.
void WatchReactor::Act(Next next) {
  if (next == Next::kWrite) {
    StartWrite(&current_);
  } else if (next == Next::kFinish) {
    Finish(final_);
  }
}

}  // namespace iop::attendance::api
