#include "common/drain.h"

#include <gtest/gtest.h>

#include <thread>

namespace iop::server {
namespace {

using namespace std::chrono_literals;
using Clock = Drain::Clock;

TEST(Drain, AdmitsUntilClosedThenRefuses) {
  Drain drain;
  auto first = drain.Admit();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(drain.in_flight(), 1);
  drain.Close();
  EXPECT_FALSE(drain.Admit().has_value());
  EXPECT_EQ(drain.in_flight(), 1) << "a refused call is not in flight";
  first.reset();
  EXPECT_EQ(drain.in_flight(), 0);
}

TEST(Drain, QuietAtOnceWhenNothingRuns) {
  Drain drain;
  drain.Close();
  const auto start = Clock::now();
  EXPECT_TRUE(drain.WaitUntilQuiet(200ms, start + 2s));
  EXPECT_LT(Clock::now() - start, 100ms);
}

TEST(Drain, WaitsForTheLastCallInFlight) {
  Drain drain;
  auto call = std::make_unique<Drain::Ticket>(std::move(*drain.Admit()));
  drain.Close();
  std::thread finisher([&] {
    std::this_thread::sleep_for(150ms);
    call.reset();
  });
  const auto start = Clock::now();
  EXPECT_TRUE(drain.WaitUntilQuiet(0ms, start + 5s));
  EXPECT_GE(Clock::now() - start, 140ms);
  EXPECT_LT(Clock::now() - start, 2s);
  finisher.join();
}

TEST(Drain, StaysOpenWhileClientsKeepArriving) {
  Drain drain;
  drain.Close();
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  EXPECT_FALSE(drain.Admit().has_value());
  std::thread caller([&] {
    while (!stop) {
      EXPECT_FALSE(drain.Admit().has_value());
      std::this_thread::sleep_for(10ms);
    }
  });
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  EXPECT_TRUE(drain.WaitUntilQuiet(100ms, start + 5s));
  EXPECT_GE(Clock::now() - start, 380ms) << "closed while refusals were still arriving";
  stopper.join();
  caller.join();
}

TEST(Drain, CloseRunsTheActionsOnce) {
  Drain drain;
  int runs = 0;
  drain.OnClose([&] { ++runs; });
  EXPECT_EQ(runs, 0);
  drain.Close();
  drain.Close();
  EXPECT_EQ(runs, 1);
}

TEST(Drain, GivesUpAtTheDeadline) {
  Drain drain;
  auto stuck = drain.Admit();
  drain.Close();
  const auto start = Clock::now();
  EXPECT_FALSE(drain.WaitUntilQuiet(0ms, start + 200ms));
  EXPECT_GE(Clock::now() - start, 190ms);
  EXPECT_LT(Clock::now() - start, 1s);
}

}  // namespace
}  // namespace iop::server
