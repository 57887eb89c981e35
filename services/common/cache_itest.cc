// The cache against a real Redis: the shared test server for normal reads,
// a private redis-server for drills that kill or freeze it.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/cache.h"
#include "support/test_env.h"

namespace iop::cache {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kRetryAfter = 300ms;

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::size_t matched = 0;
      for (const auto& label : metric.label) {
        auto it = labels.find(label.name);
        if (it != labels.end() && it->second == label.value) ++matched;
      }
      if (matched != labels.size()) continue;
      return family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                          : metric.counter.value;
    }
  }
  return 0;
}

std::string UniqueService() {
  static std::atomic<int> counter{0};
  return "itest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Reads Redis directly, to check what the cache really left there: the
// value of a filled entry ("V<value>" in Redis), or the raw string.
std::optional<std::string> RawGet(int port, const std::string& key) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err) throw std::runtime_error("raw connect failed");
  auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", key.data(), key.size()));
  std::optional<std::string> out;
  if (r != nullptr && r->type == REDIS_REPLY_STRING) out.emplace(r->str, r->len);
  if (r != nullptr) freeReplyObject(r);
  if (out && !out->empty() && out->front() == 'V') out->erase(0, 1);
  redisFree(c);
  return out;
}

// A loader that counts calls and returns whatever `value` is now.
struct CountingLoader {
  std::atomic<int> calls{0};
  std::string value = "v1";
  Cache::Loader fn() {
    return [this]() -> std::optional<std::string> {
      calls.fetch_add(1);
      return value;
    };
  }
};

CacheOptions Options(const std::string& url) {
  CacheOptions o;
  o.url = url;
  o.service = UniqueService();
  o.retry_after = kRetryAfter;
  return o;
}

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

TEST(CacheTest, HitAfterMissCallsLoaderOnce) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(loader.calls.load(), 1);
  EXPECT_EQ(MetricValue(registry, "iop_cache_misses_total", {{"cache", "group"}}), 1);
  EXPECT_EQ(MetricValue(registry, "iop_cache_hits_total", {{"cache", "group"}}), 2);
  EXPECT_EQ(MetricValue(registry, "iop_cache_up"), 1);
  EXPECT_TRUE(cache.Healthy());
}

TEST(CacheTest, NotFoundAndLoaderErrorsAreNotCached) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  Key key("org1", "group", "missing");
  int calls = 0;
  auto none = [&]() -> std::optional<std::string> {
    ++calls;
    return std::nullopt;
  };
  EXPECT_EQ(cache.GetOrLoad(key, 60s, none, "group"), std::nullopt);
  EXPECT_EQ(cache.GetOrLoad(key, 60s, none, "group"), std::nullopt);
  EXPECT_EQ(calls, 2);
  auto failing = []() -> std::optional<std::string> { throw std::runtime_error("db down"); };
  EXPECT_THROW(cache.GetOrLoad(key, 60s, failing, "group"), std::runtime_error);
  EXPECT_THROW(cache.GetOrLoad(key, 0s, none, "group"), std::invalid_argument);
}

TEST(CacheTest, EntryExpiresAfterTtl) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  CountingLoader loader;
  Key key("org1", "session", "s1");
  EXPECT_EQ(cache.GetOrLoad(key, 1s, loader.fn(), "session"), "v1");
  EXPECT_EQ(cache.GetOrLoad(key, 1s, loader.fn(), "session"), "v1");
  EXPECT_EQ(loader.calls.load(), 1);
  std::this_thread::sleep_for(1300ms);
  loader.value = "v2";
  EXPECT_EQ(cache.GetOrLoad(key, 1s, loader.fn(), "session"), "v2");
  EXPECT_EQ(loader.calls.load(), 2);
}

TEST(CacheTest, InvalidateRemovesEntries) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  CountingLoader loader;
  Key a("org1", "group", "g1");
  Key b("org1", "groups", "site1");
  cache.GetOrLoad(a, 60s, loader.fn(), "group");
  cache.GetOrLoad(b, 60s, loader.fn(), "groups");
  loader.value = "v2";
  cache.Invalidate({a, b});
  EXPECT_EQ(cache.GetOrLoad(a, 60s, loader.fn(), "group"), "v2");
  EXPECT_EQ(cache.GetOrLoad(b, 60s, loader.fn(), "groups"), "v2");
  EXPECT_EQ(loader.calls.load(), 4);
}

TEST(CacheTest, SameIdInTwoOrgsIsTwoEntries) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  auto load_for = [](std::string org) {
    return [org]() -> std::optional<std::string> { return "group of " + org; };
  };
  EXPECT_EQ(cache.GetOrLoad(Key("orgA", "group", "g1"), 60s, load_for("orgA"), "group"),
            "group of orgA");
  EXPECT_EQ(cache.GetOrLoad(Key("orgB", "group", "g1"), 60s, load_for("orgB"), "group"),
            "group of orgB");
  // Both are now hits, each with its own tenant's value.
  auto unexpected = []() -> std::optional<std::string> { return "reloaded"; };
  EXPECT_EQ(cache.GetOrLoad(Key("orgA", "group", "g1"), 60s, unexpected, "group"), "group of orgA");
  EXPECT_EQ(cache.GetOrLoad(Key("orgB", "group", "g1"), 60s, unexpected, "group"), "group of orgB");
  cache.Invalidate({Key("orgA", "group", "g1")});
  EXPECT_EQ(cache.GetOrLoad(Key("orgB", "group", "g1"), 60s, unexpected, "group"), "group of orgB");
}

TEST(CacheTest, ConcurrentMissesLoadOnce) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  std::atomic<int> calls{0};
  auto slow = [&]() -> std::optional<std::string> {
    calls.fetch_add(1);
    std::this_thread::sleep_for(300ms);
    return "value";
  };
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::vector<std::optional<std::string>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = cache.GetOrLoad(Key("org1", "group", "hot"), 60s, slow, "group");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (const auto& r : results) EXPECT_EQ(r, "value");
}

TEST(CacheTest, RejectsMalformedUrl) {
  prometheus::Registry registry;
  CacheOptions o = Options("redis//localhost:6379");
  EXPECT_THROW(Cache(o, registry), std::invalid_argument);
}

TEST(CacheFaultTest, StartsAndAnswersWithoutRedis) {
  prometheus::Registry registry;
  Cache cache(Options("redis://127.0.0.1:" + std::to_string(testing::FreePort())), registry);
  EXPECT_FALSE(cache.Healthy());
  EXPECT_EQ(MetricValue(registry, "iop_cache_up"), 0);
  CountingLoader loader;
  EXPECT_EQ(cache.GetOrLoad(Key("o", "group", "g"), 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(loader.calls.load(), 1);
}

TEST(CacheFaultTest, KilledRedisFailsOpen) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  Cache cache(Options(redis.url()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  cache.GetOrLoad(key, 60s, loader.fn(), "group");
  ASSERT_EQ(loader.calls.load(), 1);

  redis.Kill();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  }
  EXPECT_EQ(loader.calls.load(), 6);
  EXPECT_FALSE(cache.Healthy());
  EXPECT_EQ(MetricValue(registry, "iop_cache_up"), 0);
  EXPECT_GE(MetricValue(registry, "iop_cache_errors_total", {{"cache", "group"}}), 1);
  cache.Invalidate({key});  // must not throw either
}

TEST(CacheFaultTest, HungRedisCostsAtMostOneTimeout) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  Cache cache(Options(redis.url()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  cache.GetOrLoad(key, 60s, loader.fn(), "group");

  redis.Pause();
  auto start = Clock::now();
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_LT(MillisSince(start), 300);
  EXPECT_FALSE(cache.Healthy());
  EXPECT_GE(MetricValue(registry, "iop_cache_errors_total", {{"cache", "group"}, {"op", "get"}}),
            1);

  // While the circuit is open nobody waits on Redis at all.
  for (int i = 0; i < 20; ++i) {
    start = Clock::now();
    EXPECT_EQ(
        cache.GetOrLoad(Key("org1", "group", "g" + std::to_string(i)), 60s, loader.fn(), "group"),
        "v1");
    EXPECT_LT(MillisSince(start), 25);  // well under the 50 ms op timeout
  }
  // After retry_after a probe pays one timeout again, still bounded.
  std::this_thread::sleep_for(kRetryAfter + 50ms);
  start = Clock::now();
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_LT(MillisSince(start), 300);
  EXPECT_FALSE(cache.Healthy());
  redis.Resume();
}

TEST(CacheFaultTest, HungRedisBoundsLatencyOfConcurrentCallers) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  Cache cache(Options(redis.url()), registry);
  CountingLoader loader;
  for (int i = 0; i < 4; ++i) {  // warm the pool
    cache.GetOrLoad(Key("org1", "group", "w" + std::to_string(i)), 60s, loader.fn(), "group");
  }
  redis.Pause();
  constexpr int kThreads = 16;
  std::latch start(kThreads);
  std::vector<long long> millis(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto begin = Clock::now();
      EXPECT_EQ(
          cache.GetOrLoad(Key("org1", "group", "c" + std::to_string(i)), 60s, loader.fn(), "group"),
          "v1");
      millis[i] = MillisSince(begin);
    });
  }
  for (auto& t : threads) t.join();
  for (long long ms : millis) EXPECT_LT(ms, 300);
  EXPECT_FALSE(cache.Healthy());
  redis.Resume();
}

TEST(CacheFaultTest, HitsReturnAfterResume) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  Cache cache(Options(redis.url()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  cache.GetOrLoad(key, 60s, loader.fn(), "group");
  redis.Pause();
  cache.GetOrLoad(key, 60s, loader.fn(), "group");
  ASSERT_FALSE(cache.Healthy());
  redis.Resume();
  std::this_thread::sleep_for(kRetryAfter + 50ms);
  const int before = loader.calls.load();
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(loader.calls.load(), before);  // served from Redis
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(MetricValue(registry, "iop_cache_up"), 1);
}

TEST(CacheFaultTest, HitsReturnAfterRestart) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  Cache cache(Options(redis.url()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  cache.GetOrLoad(key, 60s, loader.fn(), "group");
  redis.Kill();
  cache.GetOrLoad(key, 60s, loader.fn(), "group");
  ASSERT_FALSE(cache.Healthy());
  redis.Restart();
  std::this_thread::sleep_for(kRetryAfter + 50ms);
  cache.GetOrLoad(key, 60s, loader.fn(), "group");  // empty server: a miss that stores
  const int before = loader.calls.load();
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(loader.calls.load(), before);
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(MetricValue(registry, "iop_cache_up"), 1);
}

TEST(CacheFaultTest, InvalidationMissedWhileHungIsAppliedBeforeNextRead) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  CacheOptions options = Options(redis.url());
  Cache cache(options, registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  const std::string stored = BuildKey(options.service, key);
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");

  redis.Pause();
  cache.GetOrLoad(Key("org1", "group", "other"), 60s, loader.fn(), "group");  // opens the circuit
  ASSERT_FALSE(cache.Healthy());
  loader.value = "v2";      // the write commits...
  cache.Invalidate({key});  // ...and its DEL cannot be sent
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v2");
  redis.Resume();
  ASSERT_EQ(RawGet(redis.port(), stored), "v1");  // the stale copy is still in Redis

  std::this_thread::sleep_for(kRetryAfter + 50ms);
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v2");
  EXPECT_EQ(RawGet(redis.port(), stored), "v2");
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v2");
}

// Two replicas share Redis. A reads the old row; before its fill arrives,
// B commits a write and deletes the key. A's fill must not land: its lease
// went with B's DEL.
TEST(CacheTest, FillRacingAnotherReplicasWriteStoresNothing) {
  testing::RedisProcess redis;
  prometheus::Registry registry_a, registry_b;
  CacheOptions options = Options(redis.url());
  Cache replica_a(options, registry_a);
  Cache replica_b(options, registry_b);
  Key key("org1", "program", "p1");
  const std::string stored = BuildKey(options.service, key);

  auto old_row_then_write = [&]() -> std::optional<std::string> {
    replica_b.Invalidate({key});  // B's write commits after A read "v1"
    return "v1";
  };
  EXPECT_EQ(replica_a.GetOrLoad(key, 60s, old_row_then_write, "program"), "v1");
  EXPECT_EQ(RawGet(redis.port(), stored), std::nullopt) << "the old row was cached after the write";

  CountingLoader fresh;
  fresh.value = "v2";
  EXPECT_EQ(replica_a.GetOrLoad(key, 60s, fresh.fn(), "program"), "v2");
  EXPECT_EQ(RawGet(redis.port(), stored), "v2");
  EXPECT_EQ(replica_b.GetOrLoad(key, 60s, fresh.fn(), "program"), "v2");
  EXPECT_EQ(fresh.calls.load(), 1) << "B should read A's fill";
}

// While one replica loads under its lease, another that misses reads the
// database itself and leaves the fill to the lease holder.
TEST(CacheTest, MissDuringAnotherReplicasLoadDoesNotOverwriteIt) {
  testing::RedisProcess redis;
  prometheus::Registry registry_a, registry_b;
  CacheOptions options = Options(redis.url());
  Cache replica_a(options, registry_a);
  Cache replica_b(options, registry_b);
  Key key("org1", "group", "g1");
  const std::string stored = BuildKey(options.service, key);

  CountingLoader b_loader;
  b_loader.value = "from b";
  auto a_loader = [&]() -> std::optional<std::string> {
    EXPECT_EQ(replica_b.GetOrLoad(key, 60s, b_loader.fn(), "group"), "from b");
    EXPECT_NE(RawGet(redis.port(), stored), "from b") << "B filled under A's lease";
    return "from a";
  };
  EXPECT_EQ(replica_a.GetOrLoad(key, 60s, a_loader, "group"), "from a");
  EXPECT_EQ(b_loader.calls.load(), 1);
  EXPECT_EQ(RawGet(redis.port(), stored), "from a");
}

// A read that starts after Invalidate returned must not share the result
// of a read that began before the DEL reached Redis: that one may have been
// answered with the old entry. Readers outnumber the cores, so they are
// often preempted between their GET and the end of their flight.
TEST(CacheTest, ReadAfterInvalidateNeverSharesAnOlderRead) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  Key key("org1", "program", "hot");
  std::atomic<int> version{0};
  auto load = [&]() -> std::optional<std::string> { return std::to_string(version.load()); };
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 8; ++r) {
    readers.emplace_back([&] {
      while (!stop) cache.GetOrLoad(key, 60s, load, "program");
    });
  }
  int stale = 0, writes = 0;
  const auto until = Clock::now() + 2s;
  while (Clock::now() < until) {
    const int next = version.load() + 1;
    version.store(next);  // the "commit"
    cache.Invalidate({key});
    ++writes;
    if (std::stoi(cache.GetOrLoad(key, 60s, load, "program").value()) < next) ++stale;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0) << "in " << writes << " writes";
  EXPECT_GT(writes, 100);
}

// An entry this code cannot read (another format) is a miss, never a value.
TEST(CacheTest, UnknownStoredFormatIsAMiss) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  CacheOptions options = Options(redis.url());
  Cache cache(options, registry);
  Key key("org1", "group", "g1");
  const std::string stored = BuildKey(options.service, key);
  redisContext* c = redisConnect("127.0.0.1", redis.port());
  ASSERT_TRUE(c != nullptr && c->err == 0);
  freeReplyObject(redisCommand(c, "SET %b %s", stored.data(), stored.size(), "legacy bytes"));
  redisFree(c);
  CountingLoader loader;
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group"), "v1");
  EXPECT_EQ(loader.calls.load(), 2);
}

TEST(CacheFaultTest, TooManyMissedInvalidationsFlushTheServicePrefix) {
  testing::RedisProcess redis;
  prometheus::Registry registry;
  CacheOptions options = Options(redis.url());
  options.max_pending_invalidations = 2;
  Cache cache(options, registry);
  prometheus::Registry other_registry;
  CacheOptions other_options = Options(redis.url());
  Cache other(other_options, other_registry);

  CountingLoader loader;
  std::vector<Key> keys{Key("o", "group", "a"), Key("o", "group", "b"), Key("o", "group", "c")};
  for (const auto& k : keys) cache.GetOrLoad(k, 60s, loader.fn(), "group");
  Key untouched("o", "group", "kept");
  cache.GetOrLoad(untouched, 60s, loader.fn(), "group");
  other.GetOrLoad(untouched, 60s, loader.fn(), "group");

  redis.Pause();
  cache.GetOrLoad(Key("o", "group", "trip"), 60s, loader.fn(), "group");
  ASSERT_FALSE(cache.Healthy());
  loader.value = "v2";
  for (const auto& k : keys) cache.Invalidate({k});
  redis.Resume();
  std::this_thread::sleep_for(kRetryAfter + 50ms);

  for (const auto& k : keys) EXPECT_EQ(cache.GetOrLoad(k, 60s, loader.fn(), "group"), "v2");
  // The flush could not name keys, so it emptied this service's prefix only.
  EXPECT_EQ(RawGet(redis.port(), BuildKey(options.service, untouched)), std::nullopt);
  EXPECT_EQ(RawGet(redis.port(), BuildKey(other_options.service, untouched)), "v1");
}

// ---- the near copy (Peek) ------------------------------------------------------

// Reads `key` through (keeping it near) until Peek serves it: the copy is
// off until the subscription to other replicas' invalidations is up.
std::optional<std::string> WarmNear(Cache& cache, const Key& key, const Cache::Loader& load,
                                    Clock::duration within = 5s) {
  const auto until = Clock::now() + within;
  while (Clock::now() < until) {
    cache.GetOrLoad(key, 60s, load, "group", KeepNear::kYes);
    if (auto v = cache.Peek(key, "group")) return v;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

// How a replica answers a near-kept read: its copy, else through.
std::optional<std::string> NearFirst(Cache& cache, const Key& key, const Cache::Loader& load) {
  if (auto v = cache.Peek(key, "group")) return v;
  return cache.GetOrLoad(key, 60s, load, "group", KeepNear::kYes);
}

// Polls Peek until it no longer serves `stale`; false if it still does
// after `within`.
bool NearDropsWithin(Cache& cache, const Key& key, const std::string& stale,
                     Clock::duration within) {
  const auto until = Clock::now() + within;
  while (Clock::now() < until) {
    if (cache.Peek(key, "group") != stale) return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

TEST(NearCacheItest, ServesReadsKeptNearWithoutRedisOrTheLoader) {
  prometheus::Registry registry;
  CacheOptions options = Options(testing::RedisUrl());
  Cache cache(options, registry);
  CountingLoader loader;
  Key kept("org1", "group", "near"), other("org1", "group", "far");
  ASSERT_EQ(WarmNear(cache, kept, loader.fn()), "v1");
  cache.GetOrLoad(other, 60s, loader.fn(), "group");  // not kept near
  EXPECT_EQ(cache.Peek(other, "group"), std::nullopt);
  EXPECT_EQ(cache.Peek(Key("org2", "group", "near"), "group"), std::nullopt) << "another org's key";

  const double redis_reads = MetricValue(registry, "iop_cache_hits_total", {{"cache", "group"}}) +
                             MetricValue(registry, "iop_cache_misses_total", {{"cache", "group"}});
  const int loads = loader.calls.load();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.Peek(kept, "group"), "v1");
  EXPECT_EQ(loader.calls.load(), loads);
  EXPECT_EQ(MetricValue(registry, "iop_cache_hits_total", {{"cache", "group"}}) +
                MetricValue(registry, "iop_cache_misses_total", {{"cache", "group"}}),
            redis_reads);
  EXPECT_GE(MetricValue(registry, "iop_cache_near_hits_total", {{"cache", "group"}}), 100);
}

TEST(NearCacheItest, OwnWriteIsSeenAsSoonAsInvalidateReturns) {
  prometheus::Registry registry;
  Cache cache(Options(testing::RedisUrl()), registry);
  CountingLoader loader;
  Key key("org1", "group", "g1");
  ASSERT_EQ(WarmNear(cache, key, loader.fn()), "v1");
  loader.value = "v2";
  cache.Invalidate({key});
  EXPECT_EQ(cache.Peek(key, "group"), std::nullopt);
  EXPECT_EQ(cache.GetOrLoad(key, 60s, loader.fn(), "group", KeepNear::kYes), "v2");
  EXPECT_EQ(cache.Peek(key, "group"), "v2");
}

TEST(NearCacheItest, AnotherReplicasWriteReachesTheNearCopy) {
  prometheus::Registry registry_a, registry_b;
  CacheOptions options = Options(testing::RedisUrl());
  Cache replica_a(options, registry_a);
  Cache replica_b(options, registry_b);
  CountingLoader loader;
  Key key("org1", "group", "g1"), untouched("org1", "group", "g2");
  ASSERT_EQ(WarmNear(replica_a, key, loader.fn()), "v1");
  ASSERT_EQ(WarmNear(replica_a, untouched, loader.fn()), "v1");
  ASSERT_EQ(WarmNear(replica_b, key, loader.fn()), "v1");  // B listens too

  loader.value = "v2";
  replica_b.Invalidate({key});
  EXPECT_TRUE(NearDropsWithin(replica_a, key, "v1", 1s)) << "A kept serving the old version";
  EXPECT_EQ(replica_a.Peek(untouched, "group"), "v1") << "only the written key goes";
  EXPECT_EQ(replica_a.GetOrLoad(key, 60s, loader.fn(), "group", KeepNear::kYes), "v2");
  EXPECT_EQ(replica_a.Peek(key, "group"), "v2");
}

// Replica A reads a hot key from many threads, near first, while replica B
// keeps writing it. Once A has heard of a write, no read that begins there
// may return an older version (before, it may: the write was not yet known
// there). Once the writes stop, A serves the last one.
TEST(NearCacheItest, NoReadOlderThanAWriteAlreadyHeardOf) {
  prometheus::Registry registry_a, registry_b;
  CacheOptions options = Options(testing::RedisUrl());
  Cache replica_a(options, registry_a);
  Cache replica_b(options, registry_b);
  Key key("org1", "group", "hot");
  std::atomic<int> version{0};
  auto load = [&]() -> std::optional<std::string> { return std::to_string(version.load()); };
  ASSERT_TRUE(WarmNear(replica_a, key, load).has_value());
  ASSERT_TRUE(WarmNear(replica_b, key, load).has_value());

  std::atomic<int> heard_version{0};  // the newest write A has heard of
  std::atomic<bool> stop{false};
  std::atomic<int> older{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        const int floor = heard_version.load();
        if (std::stoi(NearFirst(replica_a, key, load).value()) < floor) older.fetch_add(1);
      }
    });
  }
  const auto until = Clock::now() + 2s;
  int writes = 0, unheard = 0;
  while (Clock::now() < until) {
    const int written = version.fetch_add(1) + 1;  // the "commit"
    replica_b.Invalidate({key});
    ++writes;
    const auto wait_until = Clock::now() + 1s;
    while (MetricValue(registry_a, "iop_cache_invalidations_heard_total") < writes &&
           Clock::now() < wait_until) {
      std::this_thread::sleep_for(100us);
    }
    if (MetricValue(registry_a, "iop_cache_invalidations_heard_total") < writes) ++unheard;
    heard_version.store(written);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(older.load(), 0) << "in " << writes << " writes";
  EXPECT_EQ(unheard, 0) << "writes A did not hear of within 1 s";
  EXPECT_GT(writes, 50);
  EXPECT_GT(MetricValue(registry_a, "iop_cache_near_hits_total", {{"cache", "group"}}), 0);
  const std::string last = std::to_string(version.load());
  EXPECT_EQ(NearFirst(replica_a, key, load), last);
}

// A private Redis to kill or freeze, and one cache whose near copy serves
// `key_` once Warm returns.
class NearCacheFaultTest : public ::testing::Test {
 protected:
  void Warm(const CacheOptions& options) {
    cache_.emplace(options, registry_);
    ASSERT_EQ(WarmNear(*cache_, key_, loader_.fn()), "v1");
  }

  testing::RedisProcess redis_;
  prometheus::Registry registry_;
  std::optional<Cache> cache_;
  CountingLoader loader_;
  Key key_{"org1", "group", "g1"};
};

TEST_F(NearCacheFaultTest, LostSubscriptionDropsTheNearCopyUntilItIsBack) {
  ASSERT_NO_FATAL_FAILURE(Warm(Options(redis_.url())));
  // Writes made while this replica cannot hear them must not be hidden by
  // its near copy.
  redis_.Kill();
  EXPECT_TRUE(NearDropsWithin(*cache_, key_, "v1", 1s));
  redis_.Restart();
  loader_.value = "v2";
  EXPECT_EQ(WarmNear(*cache_, key_, loader_.fn(), 5s), "v2");
}

TEST_F(NearCacheFaultTest, NearCopyOfAHungRedisLastsAtMostItsTtl) {
  CacheOptions options = Options(redis_.url());
  options.near_ttl = 300ms;
  ASSERT_NO_FATAL_FAILURE(Warm(options));
  redis_.Pause();  // the subscription neither delivers nor drops
  EXPECT_TRUE(NearDropsWithin(*cache_, key_, "v1", 600ms));
  redis_.Resume();
}

TEST_F(NearCacheFaultTest, OpenCircuitServesNothingNear) {
  ASSERT_NO_FATAL_FAILURE(Warm(Options(redis_.url())));
  redis_.Pause();
  cache_->GetOrLoad(Key("org1", "group", "trip"), 60s, loader_.fn(), "group");  // opens the circuit
  ASSERT_FALSE(cache_->Healthy());
  EXPECT_EQ(cache_->Peek(key_, "group"), std::nullopt);
  redis_.Resume();
}

}  // namespace
}  // namespace iop::cache
