#include "common/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace iop {
namespace {

using namespace std::chrono_literals;

struct Item {
  int value = 0;
  int runs = 0;  // how often a batch ran it
  std::thread::id run_by;
};

// Holds the batches that reach it until opened.
class Gate {
 public:
  void Pass() {
    std::unique_lock lock(mu_);
    ++arrived_;
    opened_cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    opened_cv_.notify_all();
  }
  int arrived() {
    std::lock_guard lock(mu_);
    return arrived_;
  }

 private:
  std::mutex mu_;
  std::condition_variable opened_cv_;
  bool open_ = false;
  int arrived_ = 0;
};

bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Records the size of every batch; the first one waits at the gate.
struct Recorder {
  Gate gate;
  std::mutex mu;
  std::vector<std::vector<int>> batches;
  bool first = true;

  void operator()(const std::vector<Item*>& items) {
    bool hold;
    {
      std::lock_guard lock(mu);
      hold = std::exchange(first, false);
      std::vector<int> values;
      for (Item* i : items) values.push_back(i->value);
      batches.push_back(values);
    }
    if (hold) gate.Pass();
    for (Item* i : items) {
      if (i->value == 13) throw std::runtime_error("unlucky batch");
      ++i->runs;
      i->run_by = std::this_thread::get_id();
    }
  }
};

TEST(GroupCommitTest, AnItemAloneRunsAtOnceOnItsCallersThread) {
  std::vector<size_t> sizes;
  GroupCommit<Item> commit(1, 8, [&](const std::vector<Item*>& items) {
    sizes.push_back(items.size());
    for (Item* i : items) i->run_by = std::this_thread::get_id();
  });
  Item item;
  commit.Submit(item);
  EXPECT_EQ(sizes, std::vector<size_t>{1});
  EXPECT_EQ(item.run_by, std::this_thread::get_id());
}

// Submits `values` from threads of their own once the first batch holds the
// runner, then opens the gate; returns the items after every call returned.
std::vector<Item> SubmitBehindAHeldBatch(GroupCommit<Item>& commit, Recorder& recorder,
                                         const std::vector<int>& values,
                                         std::vector<std::exception_ptr>* errors = nullptr) {
  std::vector<Item> items(values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) items[i + 1].value = values[i];
  std::vector<std::exception_ptr> caught(items.size());
  std::vector<std::thread> threads;
  auto submit = [&](size_t i) {
    try {
      commit.Submit(items[i]);
    } catch (...) {
      caught[i] = std::current_exception();
    }
  };
  threads.emplace_back(submit, 0);
  EXPECT_TRUE(Eventually([&] { return recorder.gate.arrived() == 1; }));
  for (size_t i = 1; i < items.size(); ++i) {
    threads.emplace_back(submit, i);
    // One at a time, so the queue keeps their order.
    EXPECT_TRUE(Eventually([&] { return commit.Queued() == i; }));
  }
  recorder.gate.Open();
  for (auto& t : threads) t.join();
  if (errors != nullptr) *errors = caught;
  return items;
}

TEST(GroupCommitTest, ItemsArrivingWhileABatchRunsGoTogetherInTheNext) {
  Recorder recorder;
  GroupCommit<Item> commit(1, 8, std::ref(recorder));
  auto items = SubmitBehindAHeldBatch(commit, recorder, {1, 2, 3, 4, 5});
  EXPECT_EQ(recorder.batches, (std::vector<std::vector<int>>{{0}, {1, 2, 3, 4, 5}}));
  for (const Item& i : items) EXPECT_EQ(i.runs, 1) << "item " << i.value;
}

TEST(GroupCommitTest, BatchesTakeTheOldestItemsUpToTheLimit) {
  Recorder recorder;
  GroupCommit<Item> commit(1, 2, std::ref(recorder));
  auto items = SubmitBehindAHeldBatch(commit, recorder, {1, 2, 3, 4, 5});
  EXPECT_EQ(recorder.batches, (std::vector<std::vector<int>>{{0}, {1, 2}, {3, 4}, {5}}));
  for (const Item& i : items) EXPECT_EQ(i.runs, 1) << "item " << i.value;
}

TEST(GroupCommitTest, AFailedBatchFailsTheCallersOfThatBatchOnly) {
  Recorder recorder;
  GroupCommit<Item> commit(1, 2, std::ref(recorder));
  std::vector<std::exception_ptr> errors;
  auto items = SubmitBehindAHeldBatch(commit, recorder, {1, 13, 3}, &errors);
  EXPECT_EQ(recorder.batches, (std::vector<std::vector<int>>{{0}, {1, 13}, {3}}));
  EXPECT_FALSE(errors[0]);
  EXPECT_TRUE(errors[1]) << "the failed batch's other item";
  EXPECT_TRUE(errors[2]) << "the item that failed it";
  EXPECT_FALSE(errors[3]);
  EXPECT_EQ(items[3].runs, 1);
}

TEST(GroupCommitTest, RunsAsManyBatchesAtOnceAsItHasRunners) {
  std::atomic<int> running{0}, most{0};
  Gate gate;
  GroupCommit<Item> commit(2, 8, [&](const std::vector<Item*>&) {
    most = std::max(most.load(), ++running);
    gate.Pass();
    --running;
  });
  std::vector<Item> items(3);
  std::vector<std::thread> threads;
  for (Item& i : items) threads.emplace_back([&] { commit.Submit(i); });
  EXPECT_TRUE(Eventually([&] { return gate.arrived() == 2 && commit.Queued() == 1; }));
  gate.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 2);
  EXPECT_EQ(gate.arrived(), 3);
}

TEST(GroupCommitTest, ManyCallersAtOnceEachItemRunsExactlyOnce) {
  constexpr int kThreads = 8, kEach = 2000;
  std::atomic<int> running{0}, most{0};
  std::atomic<long> batched{0}, batches{0};
  // Batches smaller than the callers waiting: what does not fit must still be led.
  GroupCommit<Item> commit(3, 3, [&](const std::vector<Item*>& items) {
    most = std::max(most.load(), ++running);
    for (Item* i : items) ++i->runs;
    batched += static_cast<long>(items.size());
    ++batches;
    --running;
  });
  std::vector<std::vector<Item>> items(kThreads, std::vector<Item>(kEach));
  std::vector<std::thread> threads;
  for (auto& mine : items) {
    threads.emplace_back([&] {
      for (Item& i : mine) commit.Submit(i);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& mine : items) {
    for (const Item& i : mine) ASSERT_EQ(i.runs, 1);
  }
  EXPECT_EQ(batched.load(), kThreads * kEach);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(commit.Queued(), 0u);
}

// The asynchronous form: a caller arriving while the runner is busy only
// queues its item and returns; the runner tells it, from its own thread.
TEST(GroupCommitTest, ACallerWhileABatchRunsReturnsAtOnceAndTheRunnerTellsItLater) {
  Recorder recorder;
  GroupCommit<Item> commit(1, 8, std::ref(recorder));
  std::vector<Item> items(3);
  for (int i = 0; i < 3; ++i) items[i].value = i;
  std::mutex mu;
  std::vector<std::pair<int, std::thread::id>> told;  // item value, telling thread
  auto tell = [&](int value) {
    return [&, value](std::exception_ptr error) {
      EXPECT_FALSE(error);
      std::lock_guard lock(mu);
      told.emplace_back(value, std::this_thread::get_id());
    };
  };
  std::thread::id runner_id;
  std::thread runner([&] {
    runner_id = std::this_thread::get_id();
    commit.Submit(items[0], tell(0));
  });
  ASSERT_TRUE(Eventually([&] { return recorder.gate.arrived() == 1; }));
  commit.Submit(items[1], tell(1));  // returns: the runner is busy
  commit.Submit(items[2], tell(2));
  EXPECT_EQ(commit.Queued(), 2u);
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(told.empty()) << "nothing is told before its batch ran";
  }
  recorder.gate.Open();
  runner.join();  // returns once nothing waits: it ran the second batch too
  EXPECT_EQ(recorder.batches, (std::vector<std::vector<int>>{{0}, {1, 2}}));
  ASSERT_EQ(told.size(), 3u);
  for (const auto& [value, by] : told) EXPECT_EQ(by, runner_id) << "item " << value;
  for (const Item& i : items) EXPECT_EQ(i.runs, 1);
}

TEST(GroupCommitTest, TheAsynchronousFormHandsTheBatchsErrorToEachItem) {
  Recorder recorder;
  recorder.first = false;  // no gate
  GroupCommit<Item> commit(1, 8, std::ref(recorder));
  Item unlucky;
  unlucky.value = 13;
  std::exception_ptr error;
  int calls = 0;
  commit.Submit(unlucky, [&](std::exception_ptr e) {
    error = e;
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(error);
  EXPECT_THROW(std::rethrow_exception(error), std::runtime_error);
}

TEST(GroupCommitTest, WithAnExecutorABatchIsToldThereInOneTask) {
  std::vector<std::function<void()>> tasks;
  std::vector<size_t> sizes;
  GroupCommit<Item> commit(
      1, 8, [&](const std::vector<Item*>& items) { sizes.push_back(items.size()); },
      [&](std::function<void()> task) { tasks.push_back(std::move(task)); });
  Item a, b;
  int told = 0;
  commit.Submit(a, [&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    ++told;
  });
  EXPECT_EQ(sizes, std::vector<size_t>{1});
  EXPECT_EQ(told, 0) << "the runner does not tell; the executor's task does";
  ASSERT_EQ(tasks.size(), 1u);
  tasks[0]();
  EXPECT_EQ(told, 1);
  commit.Submit(b, [&](std::exception_ptr) { ++told; });
  ASSERT_EQ(tasks.size(), 2u);
  tasks[1]();
  EXPECT_EQ(told, 2);
}

TEST(GroupCommitTest, RefusesNoRunnerOrAnEmptyBatch) {
  auto nothing = [](const std::vector<Item*>&) {};
  EXPECT_THROW(GroupCommit<Item>(0, 8, nothing), std::invalid_argument);
  EXPECT_THROW(GroupCommit<Item>(1, 0, nothing), std::invalid_argument);
}

}  // namespace
}  // namespace iop
