#include "common/periodic.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace iop::server {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTest, RunsEveryPeriodUntilDestroyed) {
  std::atomic<int> runs{0};
  {
    Periodic every(20ms, [&] { runs.fetch_add(1); });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_GE(runs.load(), 3);
  }
  const int at_end = runs.load();
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(runs.load(), at_end) << "ran after it was destroyed";
}

TEST(PeriodicTest, DestroyingDoesNotWaitForTheNextPeriod) {
  std::atomic<int> runs{0};
  const auto start = std::chrono::steady_clock::now();
  { Periodic hourly(std::chrono::hours(1), [&] { runs.fetch_add(1); }); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(runs.load(), 0) << "the first run comes one period after construction";
}

}  // namespace
}  // namespace iop::server
