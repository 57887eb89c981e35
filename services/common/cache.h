// Cache-aside over Redis for hot reads. PostgreSQL stays the system of
// record: every read can be answered without Redis, so Redis being down or
// slow only costs latency, never an error.
//
//   auto group = cache.GetOrLoad(cache::Key(org, "group", id), std::chrono::minutes(5),
//                                [&] { return store.LoadGroupBytes(org, id); }, "group");
//   ... after the write transaction commits:
//   cache.Invalidate({cache::Key(org, "group", id), cache::Key(org, "groups", site_id)});
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/near_cache.h"
#include "common/redis_client.h"
#include "common/redis_subscriber.h"

namespace prometheus {
class Registry;
}

namespace iop::cache {

// A tenant-scoped cache key. The org is a required constructor argument so
// no caller can build a key that is shared between tenants.
class Key {
 public:
  // Throws std::invalid_argument when a part is empty.
  Key(std::string org, std::string kind, std::string id);

  const std::string& org() const { return org_; }
  const std::string& kind() const { return kind_; }
  const std::string& id() const { return id_; }

 private:
  std::string org_;
  std::string kind_;
  std::string id_;
};

// "iop:<service>:<org>:<kind>:<id>". '%' and ':' inside the parts are
// percent-encoded, so different part tuples never produce the same string
// (an id of "x:y" cannot reach into another org's or kind's keys).
std::string BuildKey(std::string_view service, const Key& key);
// "iop:<service>:" — every key of one service starts with it.
std::string ServicePrefix(std::string_view service);

// Coalesces concurrent calls per key: the first caller runs the function,
// callers arriving while it runs wait and share its result or exception.
template <typename T>
class SingleFlight {
 public:
  T Do(const std::string& key, const std::function<T()>& fn) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(mu_);
      auto& slot = flights_[key];
      if (!slot) {
        slot = std::make_shared<Flight>();
        slot->result = slot->promise.get_future().share();
        leader = true;
      }
      flight = slot;
    }
    if (leader) {
      try {
        flight->promise.set_value(fn());
      } catch (...) {
        flight->promise.set_exception(std::current_exception());
      }
      std::lock_guard lock(mu_);
      auto it = flights_.find(key);
      if (it != flights_.end() && it->second == flight) flights_.erase(it);
    }
    return flight->result.get();
  }

  // Callers arriving from now on start a new run instead of joining the
  // current one (whose result may predate a write).
  void Forget(const std::string& key) {
    std::lock_guard lock(mu_);
    flights_.erase(key);
  }
  void ForgetAll() {
    std::lock_guard lock(mu_);
    flights_.clear();
  }

 private:
  struct Flight {
    std::promise<T> promise;
    std::shared_future<T> result;
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

struct CacheOptions {
  std::string url;      // redis://[[user]:password@]host[:port][/db]
  std::string service;  // letters, digits, '_', '-', '.'; first part of every key
  std::chrono::milliseconds op_timeout{50};
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds retry_after{1000};
  int connections = 4;
  // Keys remembered after failed invalidations; beyond this the whole
  // service prefix is flushed instead.
  std::size_t max_pending_invalidations = 10000;
  // The in-process copy Peek answers from (see near_cache.h). Its ttl bounds
  // how long a replica can serve an entry whose invalidation it never heard
  // of (the writer could not reach Redis, or this replica's subscription
  // hung without dropping).
  std::chrono::milliseconds near_ttl{2000};
  std::size_t near_max_entries = 10000;
};

// Whether GetOrLoad keeps what it returns in the in-process copy for Peek.
enum class KeepNear { kNo, kYes };

class Cache {
 public:
  using Loader = std::function<std::optional<std::string>()>;

  // Throws std::invalid_argument on a malformed URL or option. Does not need
  // Redis to be up: it only tries one PING to report the initial state.
  Cache(CacheOptions options, prometheus::Registry& registry);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Returns the cached bytes on a hit. On a miss runs `load` once per key per
  // process however many callers miss together, stores a non-nullopt result
  // for `ttl` (must be > 0) unless the key was invalidated meanwhile (by any
  // replica), and returns it; nullopt ("not found") is not cached. Never fails because of Redis: when Redis errs, times out or the
  // circuit is open, `load` answers directly. Exceptions from `load` reach
  // every caller that waited for it. `load` must not call GetOrLoad for the
  // same key. `cache_name` labels the metrics ("group", "sessions", ...).
  std::optional<std::string> GetOrLoad(const Key& key, std::chrono::milliseconds ttl,
                                       const Loader& load, std::string_view cache_name,
                                       KeepNear keep = KeepNear::kNo);

  // For threads that must not block (gRPC's): the value from this process's
  // copy, kept by GetOrLoad(..., KeepNear::kYes); nullopt means "read it
  // with GetOrLoad". Never touches the network. An entry is served only
  // while this process hears the other replicas' invalidations (its Redis
  // subscription is up) and Redis answers. This replica's own writes are
  // seen as soon as Invalidate returns; another replica's as soon as its
  // message arrives, which is after that replica's write was acknowledged:
  // a read racing it there may get the previous version.
  std::optional<std::string> Peek(const Key& key, std::string_view cache_name);

  // Deletes the keys, here and, through Redis, in every replica's in-process
  // copy. Call after the database transaction commits. Never throws; a delete Redis does not confirm is retried before any later read
  // is served from Redis (see cache.cc).
  void Invalidate(const std::vector<Key>& keys);

  // False while the circuit is open (Redis unreachable or too slow).
  bool Healthy() const { return client_->Healthy(); }

 private:
  struct Metrics;
  struct Loaded {
    std::optional<std::string> value;
    bool from_cache = false;
  };

  Loaded ReadThrough(const std::string& key, std::chrono::milliseconds ttl, const Loader& load,
                     std::string_view cache_name);
  bool ReadyForReads(std::string_view cache_name);
  bool DrainPending(std::string_view cache_name);
  bool DeleteKeys(const std::vector<std::string>& keys, std::string_view cache_name);
  bool FlushServiceKeys(std::string_view cache_name);
  void RememberPending(const std::vector<std::string>& keys, bool flush_all);
  // Another replica (or this one) invalidated keys; nullopt: all of them.
  void OnInvalidation(const std::optional<std::vector<std::string>>& keys);
  RedisResult Call(std::string_view op, std::string_view cache_name,
                   const std::vector<std::string>& argv);
  std::atomic<std::uint64_t>& EpochOf(const std::string& key);
  std::string NewLeaseToken();

  const std::string service_;
  const std::size_t max_pending_;
  // Unique to this Cache object: prefixes its leases and names it as the
  // sender of its invalidation messages.
  const std::string lease_prefix_;
  std::atomic<std::uint64_t> lease_counter_{0};
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<RedisClient> client_;
  NearCache near_;
  const std::string channel_;  // where invalidations are announced
  SingleFlight<Loaded> flights_;
  // Invalidation counters per key hash: a load that overlapped an
  // invalidation of its key does not store what it read.
  std::array<std::atomic<std::uint64_t>, 512> epochs_{};

  std::mutex pending_mu_;
  std::unordered_set<std::string> pending_keys_;
  bool pending_flush_all_ = false;
  std::atomic<bool> has_pending_{false};
  std::mutex drain_mu_;  // one thread replays pending deletes at a time

  // Last: it calls into the members above until it is destroyed.
  std::unique_ptr<RedisSubscriber> subscriber_;
};

}  // namespace iop::cache
