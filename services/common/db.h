// PostgreSQL connection pool: every store of every service reaches its
// database through Pool::Transact / Pool::Read, which own transactions,
// retries, reconnects and the database metrics.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace iop::db {

// The database cannot serve the call right now (unreachable, pool exhausted,
// connection lost). The gRPC layer answers UNAVAILABLE, which clients retry.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The connection broke while COMMIT was in flight: the write may or may not
// have happened. Still UNAVAILABLE; a retry is safe with the same request_id.
class CommitUnknown : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

// SQLSTATE class of errors the project's own SQL raises on purpose (a
// statement refusing itself, e.g. attendance's IOP01): the caller's
// expected answer, so not counted among database errors.
inline constexpr std::string_view kRefusalClass = "IO";

// What of an error may be logged: its first line. PostgreSQL puts the
// values of the offending row in the DETAIL lines that follow, and those
// are clients' records.
std::string ErrorSummary(const std::exception& error);

struct PoolOptions {
  std::string url;
  int size = 8;
  std::chrono::milliseconds acquire_timeout{2000};
  std::string service;  // application_name on the server, log fields
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::seconds connect_timeout{5};
};

// libpq connection string for `url` (URL or key=value form) with timeouts and
// keepalives added; statement_timeout 0 leaves the server default.
std::string ConnectionString(const std::string& url, const std::string& application_name,
                             std::chrono::milliseconds statement_timeout,
                             std::chrono::seconds connect_timeout);

// Why one attempt of a transaction failed, which decides whether to re-run it.
enum class Failure {
  kConflict,            // serialization failure or deadlock: re-run
  kBrokenBeforeCommit,  // connection lost, nothing committed: re-run once
  kCommitUnknown,       // connection lost during COMMIT: never re-run
  kOther,               // SQL or application error: not retryable
};
Failure Classify(const std::exception_ptr& error, bool commit_sent, bool connection_open);

struct RetryBudget {
  int conflicts = 0;
  int reconnects = 0;
};
// Spends from the budget; true when the transaction may run again.
bool AllowRetry(Failure failure, RetryBudget& budget);
// Jittered, growing pause before re-running after a conflict.
std::chrono::milliseconds RetryDelay(int retry);

class Pool {
 public:
  // Exclusive use of one pooled connection; returns it on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();
    pqxx::connection& conn();
    // The connection is unusable: close it instead of returning it.
    void MarkBroken() { broken_ = true; }
    void Release();

   private:
    friend class Pool;
    Lease(Pool* pool, std::size_t slot) : pool_(pool), slot_(slot) {}
    Pool* pool_;
    std::size_t slot_;
    bool broken_ = false;
  };

  Pool(PoolOptions options, prometheus::Registry& registry);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Registers a statement for exec_prepared(name, ...). Every connection
  // prepares it before its next use, including fresh ones after a reconnect.
  // Re-registering a name with different SQL throws std::invalid_argument.
  void Prepare(std::string name, std::string sql);

  // Waits up to acquire_timeout for a connection (connecting if needed);
  // throws Unavailable. Transact/Read are the usual entry points.
  Lease Acquire();

  // Runs fn(pqxx::work&) in a READ COMMITTED transaction and commits; returns
  // what fn returns. fn may run more than once (conflicts, a lost connection
  // before commit), so it must keep no state outside the transaction. For
  // SERIALIZABLE, start fn with SET TRANSACTION ISOLATION LEVEL SERIALIZABLE.
  // Throws Unavailable / CommitUnknown, or rethrows fn's or pqxx's error
  // (pqxx::transaction_rollback once retries are spent).
  template <class F>
  auto Transact(F&& fn, std::string_view op = "tx") {
    return Run<pqxx::work>(fn, op, /*read_only=*/false);
  }

  // Same, in a REPEATABLE READ, READ ONLY transaction: one consistent
  // snapshot for all of fn's queries.
  template <class F>
  auto Read(F&& fn, std::string_view op = "read") {
    return Run<pqxx::work>(fn, op, /*read_only=*/true);
  }

  // Runs fn(pqxx::nontransaction&), which must send exactly one statement:
  // it commits as it ends, sparing the BEGIN and COMMIT round trips. A
  // conflict (deadlock, serialization failure) rolled it back and runs it
  // again; a connection lost once it was sent leaves its outcome unknown
  // (CommitUnknown, never re-run). Otherwise as Transact.
  template <class F>
  auto Autocommit(F&& fn, std::string_view op = "statement") {
    return Run<pqxx::nontransaction>(fn, op, /*read_only=*/false);
  }

  // SELECT 1 within about a second or two; for the health service.
  bool Ping();

  const PoolOptions& options() const { return options_; }
  prometheus::Registry& registry() { return registry_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::unique_ptr<pqxx::connection> conn;
    std::size_t prepared = 0;  // statements_[0, prepared) are on conn
    bool in_use = false;
  };

  // Tx is pqxx::work (a transaction, committed at the end) or
  // pqxx::nontransaction (fn's one statement commits as it ends, so its
  // outcome is unknown from the moment fn runs).
  template <class Tx, class F>
  auto Run(F& fn, std::string_view op, bool read_only) -> std::invoke_result_t<F&, Tx&> {
    using Result = std::invoke_result_t<F&, Tx&>;
    static_assert(!std::is_reference_v<Result>, "return a value, not a reference into the transaction");
    constexpr bool kAutocommit = std::is_same_v<Tx, pqxx::nontransaction>;
    const Clock::time_point started = Clock::now();
    RetryBudget budget;
    for (;;) {
      Lease lease = Acquire();
      bool commit_sent = kAutocommit;
      try {
        Tx tx(lease.conn());
        if constexpr (!kAutocommit) {
          if (read_only) MakeReadOnly(tx);
        }
        auto commit = [&] {
          if constexpr (!kAutocommit) {
            commit_sent = !read_only;
            tx.commit();
          }
          ObserveQuery(op, started);
        };
        if constexpr (std::is_void_v<Result>) {
          std::invoke(fn, tx);
          commit();
          return;
        } else {
          Result result = std::invoke(fn, tx);
          commit();
          return result;
        }
      } catch (...) {
        // Returns only when the whole transaction should run again.
        OnAttemptFailed(std::current_exception(), lease, commit_sent, budget, op, started);
      }
    }
  }

  std::optional<Lease> TryAcquire(std::chrono::milliseconds wait);
  void Connect(Slot& slot);
  void PrepareStatements(Slot& slot);
  void Return(std::size_t slot, bool broken);
  void DropIdleConnections();
  static void MakeReadOnly(pqxx::work& tx);
  void ObserveQuery(std::string_view op, Clock::time_point started);
  void OnAttemptFailed(const std::exception_ptr& error, Lease& lease, bool commit_sent,
                       RetryBudget& budget, std::string_view op, Clock::time_point started);
  bool PingWithFreshConnection();

  const PoolOptions options_;
  const std::string conninfo_;
  prometheus::Registry& registry_;

  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<Slot> slots_;  // fixed size; a slot's conn is touched only by its holder
  std::vector<std::pair<std::string, std::string>> statements_;

  prometheus::Family<prometheus::Histogram>& query_seconds_;
  prometheus::Histogram& wait_seconds_;
  prometheus::Gauge& in_use_;
  prometheus::Gauge& idle_;
  prometheus::Gauge& size_;
  prometheus::Counter& unavailable_errors_;
  prometheus::Counter& conflict_errors_;
  prometheus::Counter& other_errors_;
};

}  // namespace iop::db
