// A small in-process copy of hot cache entries, so a hit needs no round trip
// to Redis and can be answered on gRPC's own thread. Pure logic: the Cache
// feeds it what it read, and the invalidations it learns (its own writes at
// once, other replicas' through Redis pub/sub).
//
// An entry is stored only if nothing invalidated its key, and the near cache
// was not switched off, between the moment its read began (a Ticket) and the
// store. So a read that overlapped a write never leaves its older value
// here, whichever of the read and the invalidation finishes first.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace iop::cache {

class NearCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Ticket {
    std::uint64_t epoch = 0;
    std::uint64_t key_generation = 0;
  };

  // `ttl` caps how long an entry is served whatever else happens (the bound
  // on staleness when an invalidation is lost); `max_entries` caps memory.
  NearCache(std::chrono::milliseconds ttl, std::size_t max_entries,
            Clock clock = std::chrono::steady_clock::now);

  // Off until the first Enable: no entry is stored or served while off, and
  // reads that began while off do not store after it.
  void Enable();
  // Drops every entry and refuses stores of reads that began before.
  void Disable();
  bool enabled() const;

  Ticket Begin(const std::string& key) const;
  void Store(const std::string& key, const Ticket& ticket, std::string value);
  std::optional<std::string> Get(const std::string& key) const;
  void Invalidate(const std::string& key);
  // Invalidates every key (a flush of the whole service prefix).
  void InvalidateAll();
  std::size_t size() const;

 private:
  struct Entry {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::atomic<std::uint64_t>& GenerationOf(const std::string& key);
  const std::atomic<std::uint64_t>& GenerationOf(const std::string& key) const;

  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  const Clock clock_;

  mutable std::shared_mutex mu_;
  bool enabled_ = false;
  // Bumped by Disable and InvalidateAll; per-key counters (shared by keys
  // with the same hash, which only costs an occasional skipped store) by
  // Invalidate. Written under the exclusive lock, read by Begin without it.
  std::atomic<std::uint64_t> epoch_{0};
  std::array<std::atomic<std::uint64_t>, 1024> generations_{};
  std::unordered_map<std::string, Entry> entries_;
};

// The message that tells the other replicas which keys a write invalidated:
// the sender, then each key, each as "<length>:<bytes>". No keys means every
// key of the service.
struct Invalidation {
  std::string sender;             // empty when the message did not decode
  std::vector<std::string> keys;  // empty: every key
};
std::string EncodeInvalidation(std::string_view sender, const std::vector<std::string>& keys);
// A message that does not decode means every key, whoever sent it.
Invalidation DecodeInvalidation(std::string_view message);

}  // namespace iop::cache
