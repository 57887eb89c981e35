// Pure logic of the cache: keys, URL parsing, circuit breaker, single-flight.
#include "common/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/redis_client.h"

namespace iop::cache {
namespace {

using namespace std::chrono_literals;

TEST(CacheKeyTest, BuildsTenantScopedKey) {
  EXPECT_EQ(BuildKey("scheduling", Key("org1", "group", "g42")), "iop:scheduling:org1:group:g42");
  EXPECT_EQ(ServicePrefix("scheduling"), "iop:scheduling:");
}

TEST(CacheKeyTest, SeparatorsInPartsCannotCollide) {
  // Without escaping both would be "iop:s:a:b:c:d".
  EXPECT_NE(BuildKey("s", Key("a", "b", "c:d")), BuildKey("s", Key("a:b", "c", "d")));
  EXPECT_EQ(BuildKey("s", Key("a", "b", "c:d")), "iop:s:a:b:c%3Ad");
  // The escape character itself is escaped, so "%3A" stays distinct from ":".
  EXPECT_NE(BuildKey("s", Key("a", "b", "%3A")), BuildKey("s", Key("a", "b", ":")));
  EXPECT_EQ(BuildKey("s", Key("a", "b", "%3A")), "iop:s:a:b:%253A");
}

TEST(CacheKeyTest, SameIdInTwoOrgsGivesTwoKeys) {
  EXPECT_NE(BuildKey("s", Key("org1", "group", "g1")), BuildKey("s", Key("org2", "group", "g1")));
}

TEST(CacheKeyTest, RejectsEmptyParts) {
  EXPECT_THROW(Key("", "group", "g1"), std::invalid_argument);
  EXPECT_THROW(Key("org", "", "g1"), std::invalid_argument);
  EXPECT_THROW(Key("org", "group", ""), std::invalid_argument);
}

TEST(RedisUrlTest, ParsesHostPortAndDefaults) {
  RedisEndpoint ep = ParseRedisUrl("redis://cache.internal:6380");
  EXPECT_EQ(ep.host, "cache.internal");
  EXPECT_EQ(ep.port, 6380);
  EXPECT_EQ(ep.db, 0);
  EXPECT_TRUE(ep.password.empty());
  EXPECT_EQ(ParseRedisUrl("redis://localhost").port, 6379);
  EXPECT_EQ(ParseRedisUrl("redis://localhost:1/").db, 0);
}

TEST(RedisUrlTest, ParsesPasswordUserAndDb) {
  RedisEndpoint ep = ParseRedisUrl("redis://:s3cr%40t@10.0.0.5:7000/3");
  EXPECT_EQ(ep.password, "s3cr@t");
  EXPECT_TRUE(ep.user.empty());
  EXPECT_EQ(ep.host, "10.0.0.5");
  EXPECT_EQ(ep.port, 7000);
  EXPECT_EQ(ep.db, 3);

  ep = ParseRedisUrl("redis://app:p@ss/w@redis:6379/1");
  EXPECT_EQ(ep.user, "app");
  EXPECT_EQ(ep.password, "p@ss/w");
  EXPECT_EQ(ep.host, "redis");
  EXPECT_EQ(ep.db, 1);
}

TEST(RedisUrlTest, ParsesIpv6) {
  RedisEndpoint ep = ParseRedisUrl("redis://[::1]:6390");
  EXPECT_EQ(ep.host, "::1");
  EXPECT_EQ(ep.port, 6390);
}

TEST(RedisUrlTest, RejectsMalformedUrls) {
  for (const char* bad : {"", "localhost:6379", "http://localhost:6379", "rediss://localhost:6379",
                          "redis://", "redis://:6379", "redis://host:", "redis://host:abc",
                          "redis://host:0", "redis://host:70000", "redis://host:6379/x",
                          "redis://host:6379/-1", "redis://pass@host:6379", "redis://:@host:6379",
                          "redis://host:6379?db=1", "redis://[::1:6379", "redis://:%zz@host"}) {
    EXPECT_THROW(ParseRedisUrl(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisUrlTest, ErrorMessageDoesNotLeakPassword) {
  try {
    ParseRedisUrl("redis://:hunter2@host:notaport");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("port"), std::string::npos);
  }
}

class FakeClock {
 public:
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  SteadyClock fn() {
    return [this] { return now; };
  }
};

using Permit = CircuitBreaker::Permit;

TEST(CircuitBreakerTest, ClosedUntilAFailure) {
  FakeClock clock;
  CircuitBreaker breaker(1000ms, clock.fn());
  EXPECT_TRUE(breaker.closed());
  EXPECT_EQ(breaker.Acquire(), Permit::kNormal);
  EXPECT_FALSE(breaker.OnSuccess(Permit::kNormal));
  EXPECT_TRUE(breaker.OnFailure(Permit::kNormal));  // state changed
  EXPECT_FALSE(breaker.closed());
  EXPECT_FALSE(breaker.OnFailure(Permit::kNormal));  // already open
}

TEST(CircuitBreakerTest, DeniesUntilRetryAfterThenOneProbe) {
  FakeClock clock;
  CircuitBreaker breaker(1000ms, clock.fn());
  breaker.OnFailure(breaker.Acquire());
  clock.now += 999ms;
  EXPECT_EQ(breaker.Acquire(), Permit::kDenied);
  clock.now += 1ms;
  EXPECT_EQ(breaker.Acquire(), Permit::kProbe);
  EXPECT_EQ(breaker.Acquire(), Permit::kDenied);  // only one probe at a time
  EXPECT_TRUE(breaker.OnSuccess(Permit::kProbe));
  EXPECT_TRUE(breaker.closed());
  EXPECT_EQ(breaker.Acquire(), Permit::kNormal);
}

TEST(CircuitBreakerTest, FailedProbeWaitsAnotherPeriod) {
  FakeClock clock;
  CircuitBreaker breaker(1000ms, clock.fn());
  breaker.OnFailure(Permit::kNormal);
  clock.now += 1500ms;
  ASSERT_EQ(breaker.Acquire(), Permit::kProbe);
  clock.now += 200ms;
  EXPECT_FALSE(breaker.OnFailure(Permit::kProbe));
  clock.now += 999ms;
  EXPECT_EQ(breaker.Acquire(), Permit::kDenied);
  clock.now += 1ms;
  EXPECT_EQ(breaker.Acquire(), Permit::kProbe);
}

TEST(CircuitBreakerTest, LateSuccessOfOldCallDoesNotClose) {
  FakeClock clock;
  CircuitBreaker breaker(1000ms, clock.fn());
  breaker.OnFailure(Permit::kNormal);
  EXPECT_FALSE(breaker.OnSuccess(Permit::kNormal));
  EXPECT_FALSE(breaker.closed());
}

TEST(CircuitBreakerTest, LostProbeIsReplacedAfterAPeriod) {
  FakeClock clock;
  CircuitBreaker breaker(1000ms, clock.fn());
  breaker.OnFailure(Permit::kNormal);
  clock.now += 1000ms;
  ASSERT_EQ(breaker.Acquire(), Permit::kProbe);  // never reports back
  clock.now += 1000ms;
  EXPECT_EQ(breaker.Acquire(), Permit::kProbe);
}

TEST(SingleFlightTest, ConcurrentCallersShareOneRun) {
  SingleFlight<int> flight;
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  std::atomic<int> waiting{0};
  std::vector<std::thread> threads;
  std::vector<int> results(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      waiting.fetch_add(1);
      results[i] = flight.Do("k", [&] {
        runs.fetch_add(1);
        while (!release.load()) std::this_thread::sleep_for(1ms);
        return 7;
      });
    });
  }
  while (waiting.load() < 8) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);  // let every thread reach Do
  release.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (int r : results) EXPECT_EQ(r, 7);
}

TEST(SingleFlightTest, ExceptionReachesEveryWaiter) {
  SingleFlight<int> flight;
  std::atomic<bool> release{false};
  std::atomic<int> thrown{0};
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        flight.Do("k", [&]() -> int {
          runs.fetch_add(1);
          while (!release.load()) std::this_thread::sleep_for(1ms);
          throw std::runtime_error("db down");
        });
      } catch (const std::runtime_error&) {
        thrown.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(50ms);
  release.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(thrown.load(), 4);
}

TEST(SingleFlightTest, SequentialCallsRunAgainAndKeysAreIndependent) {
  SingleFlight<int> flight;
  int runs = 0;
  EXPECT_EQ(flight.Do("a", [&] { return ++runs; }), 1);
  EXPECT_EQ(flight.Do("a", [&] { return ++runs; }), 2);
  EXPECT_EQ(flight.Do("b", [&] { return ++runs; }), 3);
}

TEST(SingleFlightTest, ForgetMakesLaterCallersStartFresh) {
  SingleFlight<int> flight;
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  std::thread first([&] {
    EXPECT_EQ(flight.Do("k",
                        [&] {
                          started.store(true);
                          while (!release.load()) std::this_thread::sleep_for(1ms);
                          return 1;
                        }),
              1);
  });
  while (!started.load()) std::this_thread::sleep_for(1ms);
  flight.Forget("k");
  // Does not join the first run (which would block until release).
  EXPECT_EQ(flight.Do("k", [] { return 2; }), 2);
  release.store(true);
  first.join();
}

}  // namespace
}  // namespace iop::cache
