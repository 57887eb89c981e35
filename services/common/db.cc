#include "common/db.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "common/log.h"

namespace iop::db {

std::string ErrorSummary(const std::exception& error) {
  const std::string_view what = error.what();
  return std::string(what.substr(0, what.find('\n')));
}
namespace {

constexpr int kMaxConflictRetries = 2;   // three tries in all
constexpr int kMaxReconnectRetries = 1;  // a second failure means the server is gone

const prometheus::Histogram::BucketBoundaries& QueryBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

const prometheus::Histogram::BucketBoundaries& WaitBuckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5};
  return b;
}

bool IsUrl(const std::string& s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

// True when the connection string already sets `key`, so the caller's
// explicit choice wins over our defaults.
bool HasParam(const std::string& conn, const std::string& key) {
  for (std::size_t pos = conn.find(key); pos != std::string::npos; pos = conn.find(key, pos + 1)) {
    bool starts = pos == 0 || conn[pos - 1] == '?' || conn[pos - 1] == '&' ||
                  std::isspace(static_cast<unsigned char>(conn[pos - 1]));
    std::size_t after = pos + key.size();
    while (after < conn.size() && conn[after] == ' ') ++after;
    if (starts && after < conn.size() && conn[after] == '=') return true;
  }
  return false;
}

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QuoteConninfoValue(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

bool IsDatabaseError(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate().rfind(kRefusalClass, 0) != 0;
  } catch (const pqxx::failure&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::string Describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return ErrorSummary(e);
  } catch (...) {
    return "unknown error";
  }
}

const char* FailureName(Failure f) {
  switch (f) {
    case Failure::kConflict: return "conflict";
    case Failure::kBrokenBeforeCommit: return "connection_lost";
    case Failure::kCommitUnknown: return "commit_unknown";
    case Failure::kOther: return "other";
  }
  return "other";
}

}  // namespace

std::string ConnectionString(const std::string& url, const std::string& application_name,
                             std::chrono::milliseconds statement_timeout,
                             std::chrono::seconds connect_timeout) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!application_name.empty()) params.emplace_back("application_name", application_name);
  // libpq refuses values under 2 s (it rounds them up silently).
  params.emplace_back("connect_timeout",
                      std::to_string(std::max<long long>(2, connect_timeout.count())));
  // Detect a dead server or a dropped NAT entry instead of hanging on it.
  params.emplace_back("keepalives", "1");
  params.emplace_back("keepalives_idle", "30");
  params.emplace_back("keepalives_interval", "10");
  params.emplace_back("keepalives_count", "3");
  if (statement_timeout.count() > 0) {
    // Set at connect time so it also holds on any connection libpq re-opens.
    params.emplace_back("options",
                        "-c statement_timeout=" + std::to_string(statement_timeout.count()));
  }

  std::string out = url;
  const bool url_form = IsUrl(url);
  for (const auto& [key, value] : params) {
    if (HasParam(url, key)) continue;
    if (url_form) {
      out += out.find('?') == std::string::npos ? '?' : '&';
      out += key + "=" + PercentEncode(value);
    } else {
      if (!out.empty()) out += ' ';
      out += key + "=" + QuoteConninfoValue(value);
    }
  }
  return out;
}

Failure Classify(const std::exception_ptr& error, bool commit_sent, bool connection_open) {
  const Failure lost = commit_sent ? Failure::kCommitUnknown : Failure::kBrokenBeforeCommit;
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::in_doubt_error&) {
    return Failure::kCommitUnknown;
  } catch (const pqxx::serialization_failure&) {
    return Failure::kConflict;
  } catch (const pqxx::deadlock_detected&) {
    return Failure::kConflict;
  } catch (const pqxx::broken_connection&) {
    return lost;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "40001" || e.sqlstate() == "40P01") return Failure::kConflict;
    // e.g. 57P01 "terminating connection due to administrator command".
    return connection_open ? Failure::kOther : lost;
  } catch (const pqxx::failure&) {
    return connection_open ? Failure::kOther : lost;
  } catch (...) {
    // The application's own error: its decision, never retried.
    return Failure::kOther;
  }
}

bool AllowRetry(Failure failure, RetryBudget& budget) {
  switch (failure) {
    case Failure::kConflict:
      if (budget.conflicts >= kMaxConflictRetries) return false;
      ++budget.conflicts;
      return true;
    case Failure::kBrokenBeforeCommit:
      if (budget.reconnects >= kMaxReconnectRetries) return false;
      ++budget.reconnects;
      return true;
    case Failure::kCommitUnknown:
    case Failure::kOther:
      return false;
  }
  return false;
}

std::chrono::milliseconds RetryDelay(int retry) {
  // Jitter keeps two conflicting transactions from colliding again in step.
  thread_local std::mt19937 rng{std::random_device{}()};
  const int base = 10 << std::clamp(retry - 1, 0, 6);
  std::uniform_int_distribution<int> jitter(0, base);
  return std::chrono::milliseconds(base + jitter(rng));
}

// ---- Lease ----

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_), broken_(other.broken_) {}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = other.slot_;
    broken_ = other.broken_;
  }
  return *this;
}

Pool::Lease::~Lease() { Release(); }

pqxx::connection& Pool::Lease::conn() {
  if (pool_ == nullptr) throw std::logic_error("db::Pool::Lease used after release");
  return *pool_->slots_[slot_].conn;
}

void Pool::Lease::Release() {
  if (pool_ != nullptr) std::exchange(pool_, nullptr)->Return(slot_, broken_);
}

// ---- Pool ----

Pool::Pool(PoolOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      conninfo_(ConnectionString(options_.url, options_.service, options_.statement_timeout,
                                 options_.connect_timeout)),
      registry_(registry),
      slots_(static_cast<std::size_t>(std::max(options_.size, 1))),
      query_seconds_(prometheus::BuildHistogram()
                         .Name("iop_db_query_duration_seconds")
                         .Help("Time of database transactions, retries included, by operation")
                         .Register(registry)),
      wait_seconds_(prometheus::BuildHistogram()
                        .Name("iop_db_pool_wait_seconds")
                        .Help("Time spent waiting for a free pooled database connection")
                        .Register(registry)
                        .Add({}, WaitBuckets())),
      in_use_(prometheus::BuildGauge()
                  .Name("iop_db_pool_connections")
                  .Help("Pooled database connections by state")
                  .Register(registry)
                  .Add({{"state", "in_use"}})),
      idle_(prometheus::BuildGauge()
                .Name("iop_db_pool_connections")
                .Help("Pooled database connections by state")
                .Register(registry)
                .Add({{"state", "idle"}})),
      size_(prometheus::BuildGauge()
                .Name("iop_db_pool_size")
                .Help("Configured maximum number of pooled database connections")
                .Register(registry)
                .Add({})),
      unavailable_errors_(prometheus::BuildCounter()
                              .Name("iop_db_errors_total")
                              .Help("Database errors by kind")
                              .Register(registry)
                              .Add({{"kind", "unavailable"}})),
      conflict_errors_(prometheus::BuildCounter()
                           .Name("iop_db_errors_total")
                           .Help("Database errors by kind")
                           .Register(registry)
                           .Add({{"kind", "serialization"}})),
      other_errors_(prometheus::BuildCounter()
                        .Name("iop_db_errors_total")
                        .Help("Database errors by kind")
                        .Register(registry)
                        .Add({{"kind", "other"}})) {
  if (options_.size < 1) throw std::invalid_argument("db pool size must be at least 1");
  // Increments, not Set: several pools may share one registry.
  size_.Increment(static_cast<double>(slots_.size()));
}

Pool::~Pool() {
  std::lock_guard lock(mu_);
  for (Slot& s : slots_) {
    if (s.in_use) {
      log::Error("db pool destroyed while a connection is leased", {{"service", options_.service}});
      in_use_.Decrement();
    } else if (s.conn) {
      idle_.Decrement();
    }
    s.conn.reset();
  }
  size_.Decrement(static_cast<double>(slots_.size()));
}

void Pool::Prepare(std::string name, std::string sql) {
  std::lock_guard lock(mu_);
  for (const auto& [n, s] : statements_) {
    if (n != name) continue;
    if (s == sql) return;
    throw std::invalid_argument("prepared statement " + name + " registered with different SQL");
  }
  statements_.emplace_back(std::move(name), std::move(sql));
}

Pool::Lease Pool::Acquire() {
  std::optional<Lease> lease = TryAcquire(options_.acquire_timeout);
  if (!lease) {
    unavailable_errors_.Increment();
    throw Unavailable("database pool exhausted: all " + std::to_string(slots_.size()) +
                      " connections stayed busy for " +
                      std::to_string(options_.acquire_timeout.count()) + " ms");
  }
  return std::move(*lease);
}

std::optional<Pool::Lease> Pool::TryAcquire(std::chrono::milliseconds wait) {
  const Clock::time_point start = Clock::now();
  std::size_t chosen = 0;
  auto pick = [&] {
    // Prefer an open connection; an empty slot costs a connect.
    for (int want_conn = 1; want_conn >= 0; --want_conn) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].in_use && (slots_[i].conn != nullptr) == (want_conn == 1)) {
          chosen = i;
          return true;
        }
      }
    }
    return false;
  };
  std::unique_lock lock(mu_);
  const bool got = freed_.wait_until(lock, start + wait, pick);
  wait_seconds_.Observe(std::chrono::duration<double>(Clock::now() - start).count());
  if (!got) return std::nullopt;
  Slot& slot = slots_[chosen];
  slot.in_use = true;
  in_use_.Increment();
  if (slot.conn) idle_.Decrement();
  lock.unlock();

  Lease lease(this, chosen);  // from here on, an exception hands the slot back
  if (!slot.conn || !slot.conn->is_open()) Connect(slot);
  PrepareStatements(slot);
  return lease;
}

void Pool::Connect(Slot& slot) {
  slot.conn.reset();
  slot.prepared = 0;
  try {
    slot.conn = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    unavailable_errors_.Increment();
    log::Warn("database connect failed", {{"service", options_.service}, {"error", ErrorSummary(e)}});
    throw Unavailable("cannot connect to the database: " + ErrorSummary(e));
  }
}

void Pool::PrepareStatements(Slot& slot) {
  std::vector<std::pair<std::string, std::string>> pending;
  {
    std::lock_guard lock(mu_);
    pending.assign(statements_.begin() + static_cast<std::ptrdiff_t>(slot.prepared),
                   statements_.end());
  }
  for (const auto& [name, sql] : pending) {
    slot.conn->prepare(name, sql);  // libpqxx sends it to the server on first use
    ++slot.prepared;
  }
}

void Pool::Return(std::size_t index, bool broken) {
  std::unique_ptr<pqxx::connection> dead;
  {
    std::lock_guard lock(mu_);
    Slot& slot = slots_[index];
    if (!broken && slot.conn && slot.conn->is_open()) {
      idle_.Increment();
    } else {
      dead = std::move(slot.conn);
      slot.prepared = 0;
    }
    slot.in_use = false;
    in_use_.Decrement();
  }
  freed_.notify_one();
}

void Pool::DropIdleConnections() {
  std::vector<std::unique_ptr<pqxx::connection>> dead;
  std::lock_guard lock(mu_);
  for (Slot& slot : slots_) {
    if (slot.in_use || !slot.conn) continue;
    dead.push_back(std::move(slot.conn));
    slot.prepared = 0;
    idle_.Decrement();
  }
}

void Pool::MakeReadOnly(pqxx::work& tx) {
  tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

void Pool::ObserveQuery(std::string_view op, Clock::time_point started) {
  query_seconds_.Add({{"op", std::string(op)}}, QueryBuckets())
      .Observe(std::chrono::duration<double>(Clock::now() - started).count());
}

void Pool::OnAttemptFailed(const std::exception_ptr& error, Lease& lease, bool commit_sent,
                           RetryBudget& budget, std::string_view op, Clock::time_point started) {
  const bool open = lease.conn().is_open();
  const Failure failure = Classify(error, commit_sent, open);
  const bool lost = !open || failure == Failure::kBrokenBeforeCommit ||
                    failure == Failure::kCommitUnknown;
  if (lost) lease.MarkBroken();
  lease.Release();
  // A server restart or failover kills every idle connection at once; drop
  // them rather than let the retry pick up another dead one.
  if (lost) DropIdleConnections();

  switch (failure) {
    case Failure::kConflict: conflict_errors_.Increment(); break;
    case Failure::kBrokenBeforeCommit:
    case Failure::kCommitUnknown: unavailable_errors_.Increment(); break;
    case Failure::kOther:
      if (IsDatabaseError(error)) other_errors_.Increment();
      break;
  }

  if (AllowRetry(failure, budget)) {
    log::Debug("retrying database transaction", {{"op", op}, {"reason", FailureName(failure)},
                                                  {"error", Describe(error)}});
    if (failure == Failure::kConflict) std::this_thread::sleep_for(RetryDelay(budget.conflicts));
    return;
  }
  ObserveQuery(op, started);
  switch (failure) {
    case Failure::kBrokenBeforeCommit:
      log::Warn("database connection lost", {{"op", op}, {"error", Describe(error)}});
      throw Unavailable("lost the database connection: " + Describe(error));
    case Failure::kCommitUnknown:
      log::Error("database connection lost during commit", {{"op", op}, {"error", Describe(error)}});
      throw CommitUnknown("lost the database connection while committing; outcome unknown");
    default:
      std::rethrow_exception(error);
  }
}

bool Pool::Ping() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<Lease> lease;
    try {
      lease = TryAcquire(std::chrono::milliseconds(500));
    } catch (const Unavailable&) {
      return false;
    }
    // Busy is not down: every connection is working, so ask on a fresh one.
    if (!lease) return PingWithFreshConnection();
    try {
      pqxx::work tx(lease->conn());
      tx.exec0("SET LOCAL statement_timeout = 1000");
      tx.exec1("SELECT 1");
      tx.commit();
      return true;
    } catch (const std::exception& e) {
      if (lease->conn().is_open()) {
        log::Warn("database ping failed", {{"service", options_.service}, {"error", ErrorSummary(e)}});
        return false;
      }
      // A stale connection says nothing about the server: try a fresh one.
      lease->MarkBroken();
      lease->Release();
      DropIdleConnections();
    }
  }
  return false;
}

bool Pool::PingWithFreshConnection() {
  try {
    pqxx::connection conn(ConnectionString(options_.url, options_.service + "-health",
                                           std::chrono::milliseconds(1000), std::chrono::seconds(2)));
    pqxx::nontransaction tx(conn);
    tx.exec1("SELECT 1");
    return true;
  } catch (const std::exception& e) {
    log::Warn("database ping failed", {{"service", options_.service}, {"error", ErrorSummary(e)}});
    return false;
  }
}

}  // namespace iop::db
