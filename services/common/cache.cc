// Stale-read safety. A write commits to PostgreSQL, then Invalidate deletes
// the cached copies. Two things could still put an old value back:
//
// 1. A fill racing the write. A reader that missed loads the row, then
//    stores it; if the write's DEL reaches Redis before that SET (another
//    connection, another replica, a slow or paused Redis processing its
//    backlog in any order), the old value would stay until its TTL. So a
//    miss first claims a lease in Redis ("L<token>", SET NX), loads, and
//    stores only if its lease is still there (a compare-and-set script).
//    The write's DEL comes after its commit, the reader's load after its
//    lease: a DEL that can matter always removes the lease first, and the
//    fill then stores nothing.
// 2. A DEL that never reached Redis (down, hung, error). Its keys are
//    remembered (up to max_pending_invalidations; past that we only remember
//    "flush everything under iop:<service>:", done with SCAN + DEL); while
//    anything is remembered reads bypass Redis entirely, and the first read
//    after Redis is reachable again replays the deletes. Only when they all
//    succeed are cached reads served again. What remains (another replica
//    that reaches Redis while this one cannot) is bounded by the TTL every
//    key carries.
//
// In-process, Invalidate bumps a counter that stops a load which overlapped
// the write from storing what it read, and, once the DEL is answered (or the
// keys remembered), detaches any running read of the key: a read that began
// before then may have been answered with the old entry, so callers arriving
// after Invalidate returns start a fresh one instead of sharing it.
//
// Stored strings are "V<value>" or "L<token>"; anything else (a format this
// code does not know) is treated as a miss that does not store.
#include "common/cache.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <random>
#include <shared_mutex>
#include <stdexcept>

#include "common/log.h"

namespace iop::cache {
namespace {

// Keys sent per DEL when replaying, and per SCAN step when flushing.
constexpr std::size_t kDeleteBatch = 256;
constexpr const char* kScanCount = "500";

constexpr char kValueTag = 'V';
constexpr char kLeaseTag = 'L';
// Long enough for any load; a load that outlives its lease just does not store.
constexpr const char* kLeaseMillis = "3000";

// Deletes the keys and tells every replica (ARGV[1] is the channel, ARGV[2]
// the encoded keys) in one step, so no replica can miss the message of a
// delete that happened.
constexpr const char* kDeleteScript =
    "redis.call('DEL', unpack(KEYS)) "
    "redis.call('PUBLISH', ARGV[1], ARGV[2]) "
    "return 1";

// Stores ARGV[2] for ARGV[3] ms only while KEYS[1] still holds our lease.
constexpr const char* kFillScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end "
    "return false";

void AppendEscaped(std::string& out, std::string_view part) {
  for (char c : part) {
    if (c == '%') {
      out += "%25";
    } else if (c == ':') {
      out += "%3A";
    } else {
      out += c;
    }
  }
}

bool ValidServiceName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Distinguishes this cache's leases from those of other processes and of
// other Cache objects in this one.
std::string UniqueProcessTag() {
  std::random_device rd;
  static std::atomic<unsigned> instance{0};
  return std::to_string(rd()) + "." + std::to_string(rd()) + "." +
         std::to_string(instance.fetch_add(1)) + ".";
}

}  // namespace

Key::Key(std::string org, std::string kind, std::string id)
    : org_(std::move(org)), kind_(std::move(kind)), id_(std::move(id)) {
  if (org_.empty()) throw std::invalid_argument("cache key needs an org");
  if (kind_.empty()) throw std::invalid_argument("cache key needs a kind");
  if (id_.empty()) throw std::invalid_argument("cache key needs an id");
}

std::string ServicePrefix(std::string_view service) {
  std::string out = "iop:";
  AppendEscaped(out, service);
  out += ':';
  return out;
}

std::string BuildKey(std::string_view service, const Key& key) {
  std::string out = ServicePrefix(service);
  AppendEscaped(out, key.org());
  out += ':';
  AppendEscaped(out, key.kind());
  out += ':';
  AppendEscaped(out, key.id());
  return out;
}

struct Cache::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : hits(prometheus::BuildCounter()
                 .Name("iop_cache_hits_total")
                 .Help("Reads answered from Redis")
                 .Register(registry)),
        near_hits(prometheus::BuildCounter()
                      .Name("iop_cache_near_hits_total")
                      .Help("Reads answered from this process's copy, without Redis")
                      .Register(registry)),
        misses(prometheus::BuildCounter()
                   .Name("iop_cache_misses_total")
                   .Help("Reads answered by the database (not cached, or Redis unavailable)")
                   .Register(registry)),
        errors(prometheus::BuildCounter()
                   .Name("iop_cache_errors_total")
                   .Help("Failed Redis operations by op (get, lease, set, del, connect)")
                   .Register(registry)),
        heard(prometheus::BuildCounter()
                  .Name("iop_cache_invalidations_heard_total")
                  .Help("Invalidation messages of other replicas' writes received")
                  .Register(registry)
                  .Add({})),
        near_up(prometheus::BuildGauge()
                    .Name("iop_cache_near_up")
                    .Help("1 while this process hears other replicas' invalidations and "
                          "may answer from its own copy")
                    .Register(registry)
                    .Add({})),
        up(prometheus::BuildGauge()
               .Name("iop_cache_up")
               .Help("1 while Redis is in use, 0 while the circuit is open")
               .Register(registry)
               .Add({})),
        seconds(prometheus::BuildHistogram()
                    .Name("iop_cache_operation_seconds")
                    .Help("Latency of Redis operations")
                    .Register(registry)) {}

  // Family::Add builds a whole histogram or counter before it looks the
  // labels up; on the hit path that was an allocation per call. So each
  // series is looked up once and remembered (a handful per process).
  prometheus::Histogram& Latency(std::string_view op) {
    static const prometheus::Histogram::BucketBoundaries kBuckets{
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1};
    return Remembered(latency_by_op, op,
                      [&]() -> auto& { return seconds.Add({{"op", std::string(op)}}, kBuckets); });
  }
  prometheus::Counter& Hits(std::string_view cache) {
    return Remembered(hits_by_cache, cache,
                      [&]() -> auto& { return hits.Add({{"cache", std::string(cache)}}); });
  }
  prometheus::Counter& NearHits(std::string_view cache) {
    return Remembered(near_hits_by_cache, cache,
                      [&]() -> auto& { return near_hits.Add({{"cache", std::string(cache)}}); });
  }
  prometheus::Counter& Misses(std::string_view cache) {
    return Remembered(misses_by_cache, cache,
                      [&]() -> auto& { return misses.Add({{"cache", std::string(cache)}}); });
  }

  prometheus::Family<prometheus::Counter>& hits;
  prometheus::Family<prometheus::Counter>& near_hits;
  prometheus::Family<prometheus::Counter>& misses;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Counter& heard;
  prometheus::Gauge& near_up;
  prometheus::Gauge& up;
  prometheus::Family<prometheus::Histogram>& seconds;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class T>
  using ByName = std::unordered_map<std::string, T*, NameHash, std::equal_to<>>;

  template <class T, class Make>
  T& Remembered(ByName<T>& map, std::string_view name, const Make& make) {
    {
      std::shared_lock lock(mu);  // the common case: many threads, no writer
      auto it = map.find(name);
      if (it != map.end()) return *it->second;
    }
    std::unique_lock lock(mu);
    auto it = map.find(name);
    if (it == map.end()) it = map.emplace(std::string(name), &make()).first;
    return *it->second;
  }

  std::shared_mutex mu;
  ByName<prometheus::Histogram> latency_by_op;
  ByName<prometheus::Counter> hits_by_cache;
  ByName<prometheus::Counter> near_hits_by_cache;
  ByName<prometheus::Counter> misses_by_cache;
};

Cache::Cache(CacheOptions options, prometheus::Registry& registry)
    : service_(options.service),
      max_pending_(options.max_pending_invalidations),
      lease_prefix_(UniqueProcessTag()),
      near_(options.near_ttl, options.near_max_entries),
      channel_(ServicePrefix(options.service) + "invalidations") {
  if (!ValidServiceName(service_)) {
    throw std::invalid_argument("cache service name must be letters, digits, '_', '-' or '.'");
  }
  RedisClientOptions client_options;
  client_options.endpoint = ParseRedisUrl(options.url);
  client_options.op_timeout = options.op_timeout;
  client_options.connect_timeout = options.connect_timeout;
  client_options.retry_after = options.retry_after;
  client_options.connections = options.connections;

  metrics_ = std::make_unique<Metrics>(registry);
  metrics_->up.Set(1);
  const std::string where =
      client_options.endpoint.host + ":" + std::to_string(client_options.endpoint.port);
  const auto retry_ms = options.retry_after.count();
  Metrics* metrics = metrics_.get();
  client_ = std::make_unique<RedisClient>(client_options, [metrics, where, retry_ms,
                                                           service = service_](
                                                              bool up, const std::string& error) {
    metrics->up.Set(up ? 1 : 0);
    if (up) {
      log::Info("cache reachable again", {{"service", service}, {"redis", where}});
    } else {
      log::Warn(
          "cache unavailable, reading from the database",
          {{"service", service}, {"redis", where}, {"error", error}, {"retry_after_ms", retry_ms}});
    }
  });
  // Reports the initial state (gauge and log) before the first request.
  client_->Run({"PING"});
  subscriber_ = std::make_unique<RedisSubscriber>(
      client_options, channel_,
      [this](const std::string& message) {
        Invalidation heard = DecodeInvalidation(message);
        // Our own writes were applied here before they were acknowledged;
        // their echo would only evict what was read since.
        if (heard.sender == lease_prefix_) return;
        if (heard.keys.empty()) {
          OnInvalidation(std::nullopt);
        } else {
          OnInvalidation(heard.keys);
        }
        metrics_->heard.Increment();
      },
      [this](bool subscribed) {
        // While not subscribed this process may miss other replicas' writes.
        if (subscribed) {
          near_.Enable();
          log::Info("cache invalidations heard, near copy on", {{"service", service_}});
        } else {
          near_.Disable();
          log::Warn("cache invalidations no longer heard, near copy off", {{"service", service_}});
        }
        metrics_->near_up.Set(subscribed ? 1 : 0);
      });
}

Cache::~Cache() = default;

std::optional<std::string> Cache::GetOrLoad(const Key& key, std::chrono::milliseconds ttl,
                                            const Loader& load, std::string_view cache_name,
                                            KeepNear keep) {
  if (ttl.count() <= 0) throw std::invalid_argument("cache ttl must be positive");
  const std::string full = BuildKey(service_, key);
  // Before the read: an invalidation heard after this point keeps what the
  // read returns out of the near copy.
  const NearCache::Ticket ticket = near_.Begin(full);
  Loaded loaded = flights_.Do(full, [&] { return ReadThrough(full, ttl, load, cache_name); });
  (loaded.from_cache ? metrics_->Hits(cache_name) : metrics_->Misses(cache_name)).Increment();
  if (keep == KeepNear::kYes && loaded.value) near_.Store(full, ticket, *loaded.value);
  return std::move(loaded.value);
}

std::optional<std::string> Cache::Peek(const Key& key, std::string_view cache_name) {
  // An open circuit may be a hung Redis that also holds back other
  // replicas' invalidations: serve nothing near while it lasts.
  if (!client_->Healthy()) return std::nullopt;
  auto value = near_.Get(BuildKey(service_, key));
  if (value) metrics_->NearHits(cache_name).Increment();
  return value;
}

void Cache::OnInvalidation(const std::optional<std::vector<std::string>>& keys) {
  // Detach running reads first, then invalidate: a caller arriving in
  // between starts a fresh read, whose store the invalidation then refuses
  // only needlessly; the other order would let it join an older read and
  // store that.
  if (!keys) {
    flights_.ForgetAll();
    near_.InvalidateAll();
    return;
  }
  for (const auto& k : *keys) {
    flights_.Forget(k);
    near_.Invalidate(k);
  }
}

Cache::Loaded Cache::ReadThrough(const std::string& key, std::chrono::milliseconds ttl,
                                 const Loader& load, std::string_view cache_name) {
  const std::uint64_t epoch = EpochOf(key).load();
  std::string lease;  // non-empty: ours, so the loaded value may be stored
  if (ReadyForReads(cache_name)) {
    RedisResult got = Call("get", cache_name, {"GET", key});
    if (got.ok() && got.reply.type == RedisReply::Type::kString &&
        !got.reply.str.empty() && got.reply.str[0] == kValueTag) {
      got.reply.str.erase(0, 1);
      return {std::move(got.reply.str), true};
    }
    if (got.ok() && got.reply.type == RedisReply::Type::kNil) {
      std::string token = NewLeaseToken();
      RedisResult claim =
          Call("lease", cache_name, {"SET", key, token, "NX", "PX", kLeaseMillis, "GET"});
      if (claim.ok() && claim.reply.type == RedisReply::Type::kNil) {
        lease = std::move(token);
      } else if (claim.ok() && claim.reply.type == RedisReply::Type::kString &&
                 !claim.reply.str.empty() && claim.reply.str[0] == kValueTag) {
        claim.reply.str.erase(0, 1);  // filled by someone else meanwhile
        return {std::move(claim.reply.str), true};
      }
    }
  }
  Loaded loaded{load(), false};
  if (!lease.empty() && loaded.value && EpochOf(key).load() == epoch) {
    std::string stored;
    stored.reserve(loaded.value->size() + 1);
    stored += kValueTag;
    stored += *loaded.value;
    Call("set", cache_name,
         {"EVAL", kFillScript, "1", key, lease, stored, std::to_string(ttl.count())});
  }
  return loaded;
}

std::string Cache::NewLeaseToken() {
  return std::string(1, kLeaseTag) + lease_prefix_ + std::to_string(lease_counter_.fetch_add(1));
}

void Cache::Invalidate(const std::vector<Key>& keys) {
  if (keys.empty()) return;
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const Key& k : keys) {
    full.push_back(BuildKey(service_, k));
    EpochOf(full.back()).fetch_add(1);
    near_.Invalidate(full.back());
  }
  if (!DeleteKeys(full, keys.front().kind())) RememberPending(full, false);
  // Only now: a read that started before the DEL reached Redis (or before
  // the keys were remembered) may have been answered with the old entry,
  // and callers arriving after we return must not share its result. The
  // near copy is invalidated again for the same reason: a caller that
  // joined such a read may have stored its result there meanwhile.
  OnInvalidation(full);
}

bool Cache::ReadyForReads(std::string_view cache_name) {
  if (!has_pending_.load()) return true;
  return DrainPending(cache_name);
}

bool Cache::DrainPending(std::string_view cache_name) {
  // Another thread is replaying: bypass Redis instead of queueing behind it.
  std::unique_lock drain(drain_mu_, std::try_to_lock);
  if (!drain.owns_lock()) return false;
  while (true) {
    std::vector<std::string> keys;
    bool flush_all = false;
    {
      std::lock_guard lock(pending_mu_);
      if (pending_keys_.empty() && !pending_flush_all_) {
        has_pending_.store(false);
        return true;
      }
      keys.assign(pending_keys_.begin(), pending_keys_.end());
      pending_keys_.clear();
      flush_all = pending_flush_all_;
      pending_flush_all_ = false;
    }
    // has_pending_ stays set until the loop above sees nothing left, so
    // readers keep bypassing Redis while the deletes are in flight.
    bool ok = !flush_all || FlushServiceKeys(cache_name);
    for (std::size_t i = 0; ok && i < keys.size(); i += kDeleteBatch) {
      auto end =
          keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), i + kDeleteBatch));
      ok = DeleteKeys({keys.begin() + static_cast<std::ptrdiff_t>(i), end}, cache_name);
    }
    if (!ok) {
      RememberPending(keys, flush_all);
      return false;
    }
  }
}

bool Cache::DeleteKeys(const std::vector<std::string>& keys, std::string_view cache_name) {
  std::vector<std::string> argv{"EVAL", kDeleteScript, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.push_back(channel_);
  argv.push_back(EncodeInvalidation(lease_prefix_, keys));
  return Call("del", cache_name, argv).ok();
}

bool Cache::FlushServiceKeys(std::string_view cache_name) {
  // The service name is restricted to characters that are not glob syntax.
  const std::string pattern = ServicePrefix(service_) + "*";
  std::string cursor = "0";
  do {
    RedisResult scan =
        Call("del", cache_name, {"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount});
    if (!scan.ok() || scan.reply.type != RedisReply::Type::kArray ||
        scan.reply.elements.size() != 2) {
      return false;
    }
    cursor = scan.reply.elements[0].str;
    std::vector<std::string> found;
    for (const auto& e : scan.reply.elements[1].elements) found.push_back(e.str);
    if (!found.empty() && !DeleteKeys(found, cache_name)) return false;
  } while (cursor != "0");
  // Near copies may hold keys Redis no longer has: they all go.
  if (!Call("del", cache_name, {"PUBLISH", channel_, EncodeInvalidation(lease_prefix_, {})}).ok()) {
    return false;
  }
  OnInvalidation(std::nullopt);
  log::Info("cache flushed after lost invalidations", {{"service", service_}});
  return true;
}

void Cache::RememberPending(const std::vector<std::string>& keys, bool flush_all) {
  std::lock_guard lock(pending_mu_);
  if (flush_all) pending_flush_all_ = true;
  for (const auto& k : keys) {
    if (pending_flush_all_) break;
    pending_keys_.insert(k);
    if (pending_keys_.size() > max_pending_) {
      // Too many to name: forget them and flush the whole prefix instead.
      pending_keys_.clear();
      pending_flush_all_ = true;
    }
  }
  has_pending_.store(true);
}

RedisResult Cache::Call(std::string_view op, std::string_view cache_name,
                        const std::vector<std::string>& argv) {
  RedisResult r = client_->Run(argv);
  if (r.connect_seconds) metrics_->Latency("connect").Observe(*r.connect_seconds);
  if (r.command_seconds) metrics_->Latency(op).Observe(*r.command_seconds);
  if (r.outcome == RedisResult::Outcome::kFailed) {
    metrics_->errors
        .Add({{"cache", std::string(cache_name)},
              {"op", r.connect_failed ? "connect" : std::string(op)}})
        .Increment();
    log::Debug("cache operation failed", {{"op", op}, {"cache", cache_name}, {"error", r.error}});
  }
  return r;
}

std::atomic<std::uint64_t>& Cache::EpochOf(const std::string& key) {
  return epochs_[std::hash<std::string>{}(key) % epochs_.size()];
}

}  // namespace iop::cache
