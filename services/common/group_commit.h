// Group commit: writes of one kind that arrive together share a
// transaction, so a burst of them costs one commit and one round trip per
// statement instead of one each.
//
// There is no thread of its own and no timer. A caller hands in its item
// and, while fewer than `runners` batches are in flight, runs every item
// then waiting (its own and others', up to `max_batch`) as one batch;
// otherwise it waits until some runner has handled its item, or until a
// runner frees and it leads the next batch itself. Alone, an item runs at
// once as a batch of one: batches form only while the database is already
// busy with earlier ones, so batching adds no wait of its own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace iop {

template <class Item>
class GroupCommit {
 public:
  // Handles every item of a batch (records each one's outcome in the item).
  // What it throws is rethrown to the caller of every item of that batch.
  using RunBatch = std::function<void(const std::vector<Item*>&)>;

  GroupCommit(int runners, std::size_t max_batch, RunBatch run)
      : runners_(runners), max_batch_(max_batch), run_(std::move(run)) {
    if (runners < 1 || max_batch < 1) throw std::invalid_argument("GroupCommit needs a runner and a batch of one");
  }

  // Returns once `item` was run, by this thread or another.
  void Submit(Item& item) {
    Waiting self{&item};
    std::unique_lock lock(mu_);
    queue_.push_back(&self);
    while (!self.done) {
      if (running_ < runners_ && !queue_.empty()) {
        RunNext(lock);
      } else {
        self.wake.wait(lock);
      }
    }
    if (self.error) std::rethrow_exception(self.error);
  }

  // Items handed in and not yet taken into a batch.
  std::size_t Queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  struct Waiting {
    Item* item;
    bool done = false;
    std::exception_ptr error;
    // Each caller waits on its own: a finished batch wakes its callers and
    // the next one to lead, not every caller waiting.
    std::condition_variable wake;
  };

  // Takes the waiting items (oldest first) and runs them unlocked.
  void RunNext(std::unique_lock<std::mutex>& lock) {
    std::vector<Waiting*> batch;
    std::vector<Item*> items;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      items.push_back(queue_.front()->item);
      queue_.pop_front();
    }
    ++running_;
    // A runner is still free for what did not fit: its oldest caller leads it.
    if (running_ < runners_ && !queue_.empty()) queue_.front()->wake.notify_one();
    lock.unlock();
    std::exception_ptr error;
    try {
      run_(items);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    --running_;
    // What queued meanwhile is led by its oldest caller (this one may be
    // done), woken first: the database waits for it, while the finished
    // batch's callers only have their answers to send.
    if (!queue_.empty()) queue_.front()->wake.notify_one();
    for (Waiting* w : batch) {
      w->error = error;
      w->done = true;
      w->wake.notify_one();
    }
  }

  const int runners_;
  const std::size_t max_batch_;
  const RunBatch run_;
  std::mutex mu_;
  std::deque<Waiting*> queue_;
  int running_ = 0;
};

}  // namespace iop
