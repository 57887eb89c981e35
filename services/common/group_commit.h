// Group commit: writes of one kind that arrive together share a
// transaction, so a burst of them costs one commit and one round trip per
// statement instead of one each.
//
// There is no thread of its own and no timer. A caller hands in its item;
// while fewer than `runners` batches are in flight, the caller's thread
// becomes a runner: it runs every item then waiting (its own and others',
// up to `max_batch`) as one batch, tells each item's `done`, and goes on
// with what queued meanwhile until nothing waits. Otherwise the item waits
// for a runner. Alone, an item runs at once as a batch of one: batches form
// only while the database is already busy with earlier ones, so batching
// adds no wait of its own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace iop {

template <class Item>
class GroupCommit {
 public:
  // Handles every item of a batch (records each one's outcome in the item).
  // What it throws is handed to the `done` of every item of that batch.
  using RunBatch = std::function<void(const std::vector<Item*>&)>;
  // Told once its item was run: with what the batch threw, or null.
  using Done = std::function<void(std::exception_ptr)>;

  // Runs a task elsewhere (a worker pool's Post).
  using Executor = std::function<void(std::function<void()>)>;

  // With `tell_on`, a batch's items are told there, all in one task, while
  // the runner goes on with the next batch; without, by the runner itself.
  GroupCommit(int runners, std::size_t max_batch, RunBatch run, Executor tell_on = nullptr)
      : runners_(runners), max_batch_(max_batch), run_(std::move(run)), tell_on_(std::move(tell_on)) {
    if (runners < 1 || max_batch < 1) throw std::invalid_argument("GroupCommit needs a runner and a batch of one");
  }
  // Waits for runners still returning from their last batch: their items
  // are told before they leave this object.
  ~GroupCommit() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return running_ == 0; });
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Hands `item` in; `done` runs on the thread that ran its batch, this one
  // or another caller's, or on `tell_on`. A caller that becomes a runner
  // returns only once nothing waits, possibly many batches later; `item`
  // and what `done` needs must stay alive until `done` ran.
  void Submit(Item& item, Done done) {
    std::unique_lock lock(mu_);
    queue_.push_back({&item, std::move(done)});
    if (running_ >= runners_) return;
    ++running_;
    while (!queue_.empty()) {
      std::vector<Waiting> batch;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      RunAndTell(batch);
      lock.lock();
    }
    if (--running_ == 0) idle_.notify_all();
  }

  // Returns once `item` was run, by this thread or another; rethrows what
  // its batch threw.
  void Submit(Item& item) {
    std::mutex mu;
    std::condition_variable ran;
    bool done = false;
    std::exception_ptr error;
    Submit(item, [&](std::exception_ptr e) {
      // Told under the lock: this frame cannot end before the runner is done with it.
      std::lock_guard told(mu);
      error = e;
      done = true;
      ran.notify_one();
    });
    std::unique_lock lock(mu);
    ran.wait(lock, [&] { return done; });
    if (error) std::rethrow_exception(error);
  }

  // Items handed in and not yet taken into a batch.
  std::size_t Queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  struct Waiting {
    Item* item;
    Done done;
  };

  void RunAndTell(std::vector<Waiting>& batch) {
    std::vector<Item*> items;
    items.reserve(batch.size());
    for (const Waiting& w : batch) items.push_back(w.item);
    std::exception_ptr error;
    try {
      run_(items);
    } catch (...) {
      error = std::current_exception();
    }
    if (!tell_on_) {
      for (Waiting& w : batch) w.done(error);
      return;
    }
    tell_on_([told = std::move(batch), error]() mutable {
      for (Waiting& w : told) w.done(error);
    });
  }

  const int runners_;
  const std::size_t max_batch_;
  const RunBatch run_;
  const Executor tell_on_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::deque<Waiting> queue_;
  int running_ = 0;
};

}  // namespace iop
