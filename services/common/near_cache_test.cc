#include "common/near_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace iop::cache {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

struct FakeClock {
  TimePoint now{};
  NearCache::Clock fn() {
    return [this] { return now; };
  }
};

struct NearCacheTest : ::testing::Test {
  FakeClock clock;
  NearCache near{2s, 3, clock.fn()};
  void SetUp() override { near.Enable(); }
  void Put(const std::string& key, const std::string& value) {
    near.Store(key, near.Begin(key), value);
  }
};

TEST_F(NearCacheTest, ServesWhatWasStoredUntilItsTtl) {
  Put("k", "v1");
  EXPECT_EQ(near.Get("k"), "v1");
  EXPECT_EQ(near.Get("other"), std::nullopt);
  clock.now += 1999ms;
  EXPECT_EQ(near.Get("k"), "v1");
  clock.now += 1ms;
  EXPECT_EQ(near.Get("k"), std::nullopt);
}

TEST_F(NearCacheTest, InvalidateRemovesTheKeyOnly) {
  Put("a", "1");
  Put("b", "2");
  near.Invalidate("a");
  EXPECT_EQ(near.Get("a"), std::nullopt);
  EXPECT_EQ(near.Get("b"), "2");
}

TEST_F(NearCacheTest, AReadThatOverlappedAnInvalidationIsNotStored) {
  // The read began, a write invalidated the key, then the (older) value
  // arrived: storing it would serve the old version after the write.
  auto ticket = near.Begin("k");
  near.Invalidate("k");
  near.Store("k", ticket, "old");
  EXPECT_EQ(near.Get("k"), std::nullopt);
  // A read that began after the invalidation stores normally.
  Put("k", "new");
  EXPECT_EQ(near.Get("k"), "new");
}

TEST_F(NearCacheTest, InvalidatingAnotherKeyLetsTheReadStore) {
  auto ticket = near.Begin("k");
  near.Invalidate("some-other-key-0");
  near.Invalidate("some-other-key-1");
  near.Store("k", ticket, "v");
  // (A key sharing "k"'s counter would skip the store; these do not.)
  EXPECT_EQ(near.Get("k"), "v");
}

TEST_F(NearCacheTest, InvalidateAllDropsEverythingAndRefusesOverlappingReads) {
  Put("a", "1");
  auto ticket = near.Begin("b");
  near.InvalidateAll();
  near.Store("b", ticket, "2");
  EXPECT_EQ(near.Get("a"), std::nullopt);
  EXPECT_EQ(near.Get("b"), std::nullopt);
  EXPECT_EQ(near.size(), 0u);
}

TEST(NearCacheStateTest, NothingIsStoredOrServedUntilEnabled) {
  NearCache near(2s, 10);
  near.Store("k", near.Begin("k"), "v");
  EXPECT_EQ(near.Get("k"), std::nullopt);
  EXPECT_FALSE(near.enabled());
  near.Enable();
  near.Store("k", near.Begin("k"), "v");
  EXPECT_EQ(near.Get("k"), "v");
}

TEST_F(NearCacheTest, DisablingDropsEntriesAndRefusesReadsThatBeganBefore) {
  Put("a", "1");
  auto ticket = near.Begin("b");
  near.Disable();
  EXPECT_EQ(near.Get("a"), std::nullopt);
  near.Enable();  // subscribed again: what was read meanwhile may be old
  near.Store("b", ticket, "2");
  EXPECT_EQ(near.Get("b"), std::nullopt);
  EXPECT_EQ(near.Get("a"), std::nullopt) << "entries do not come back with Enable";
}

TEST_F(NearCacheTest, AReadThatBeganWhileOffDoesNotStoreOnceOn) {
  // Off: invalidations may have been missed, so what this read returns may
  // be older than a write nobody here heard of.
  near.Disable();
  auto ticket = near.Begin("k");
  near.Enable();
  near.Store("k", ticket, "maybe old");
  EXPECT_EQ(near.Get("k"), std::nullopt);
  Put("k", "read after");
  EXPECT_EQ(near.Get("k"), "read after");
}

TEST_F(NearCacheTest, StaysWithinItsSize) {
  Put("a", "1");
  Put("b", "2");
  Put("c", "3");
  Put("a", "1b");  // replacing an entry does not need room
  EXPECT_EQ(near.size(), 3u);
  EXPECT_EQ(near.Get("a"), "1b");
  Put("d", "4");
  EXPECT_LE(near.size(), 3u);
  EXPECT_EQ(near.Get("d"), "4");
}

TEST(NearCacheOptionsTest, RejectsZeroTtlOrSize) {
  EXPECT_THROW(NearCache(0ms, 10), std::invalid_argument);
  EXPECT_THROW(NearCache(1s, 0), std::invalid_argument);
}

TEST(InvalidationMessageTest, SenderAndKeysSurviveTheRoundTrip) {
  const std::vector<std::string> keys = {"iop:s:org:group:1", "a:b:c", "12:34", std::string("x\0y", 3),
                                         std::string(300, 'k')};
  Invalidation decoded = DecodeInvalidation(EncodeInvalidation("replica-7", keys));
  EXPECT_EQ(decoded.sender, "replica-7");
  EXPECT_EQ(decoded.keys, keys);
}

TEST(InvalidationMessageTest, NoKeysMeansEveryKey) {
  Invalidation decoded = DecodeInvalidation(EncodeInvalidation("replica-7", {}));
  EXPECT_EQ(decoded.sender, "replica-7");
  EXPECT_TRUE(decoded.keys.empty());
}

TEST(InvalidationMessageTest, MalformedMeansEveryKeyFromNobodyKnown) {
  for (std::string_view bad : {"", "5:abc", "x:abc", ":abc", "0:", "3:abc4", "99999999999:a"}) {
    Invalidation decoded = DecodeInvalidation(bad);
    EXPECT_EQ(decoded.sender, "") << bad;
    EXPECT_TRUE(decoded.keys.empty()) << bad;
  }
}

}  // namespace
}  // namespace iop::cache
