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

TEST(GroupCommitTest, RefusesNoRunnerOrAnEmptyBatch) {
  auto nothing = [](const std::vector<Item*>&) {};
  EXPECT_THROW(GroupCommit<Item>(0, 8, nothing), std::invalid_argument);
  EXPECT_THROW(GroupCommit<Item>(1, 0, nothing), std::invalid_argument);
}

}  // namespace
}  // namespace iop
