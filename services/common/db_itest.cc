// The database runtime against a real PostgreSQL: pool, retries, reconnects,
// migrations, idempotency and the audit log. Each test has its own database.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "common/audit.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/migrate.h"
#include "support/test_env.h"

namespace iop {
namespace {

using std::chrono::milliseconds;

double Metric(prometheus::Registry& registry, const std::string& name,
              const std::string& label = "", const std::string& value = "") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = label.empty();
      for (const auto& l : m.label) match = match || (l.name == label && l.value == value);
      if (!match) continue;
      if (family.type == prometheus::MetricType::Counter) return m.counter.value;
      if (family.type == prometheus::MetricType::Gauge) return m.gauge.value;
      if (family.type == prometheus::MetricType::Histogram) return m.histogram.sample_count;
    }
  }
  return -1;
}

// Runs SQL outside the pool, as an operator would.
void Admin(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

long long Count(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<long long>();
}

// Kills every server connection of the pool (the server restarting, a
// failover, an administrator) without the pool noticing.
void TerminatePoolBackends(const testing::ScratchDatabase& db) {
  Admin(testing::DatabaseServerUrl(),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() +
            "' AND application_name = 'dbtest'");
}

db::PoolOptions Options(const testing::ScratchDatabase& db, int size = 8) {
  return {.url = db.url(), .size = size, .acquire_timeout = milliseconds(2000), .service = "dbtest"};
}

TEST(DbPool, ConcurrentTransactionsAllCount) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);"
                  "CREATE TABLE items (id serial PRIMARY KEY, worker int NOT NULL)");
  prometheus::Registry registry;
  db::Pool pool(Options(db), registry);
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        pool.Transact([&](pqxx::work& tx) {
          tx.exec0("UPDATE counter SET n = n + 1");
          tx.exec_params0("INSERT INTO items (worker) VALUES ($1)", t);
        }, "bump");
      }
    });
  }
  for (auto& th : threads) th.join();
  const long long n = pool.Read([](pqxx::work& tx) { return tx.exec1("SELECT n FROM counter")[0].as<long long>(); });
  EXPECT_EQ(n, kThreads * kEach);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM items"), kThreads * kEach);
  EXPECT_EQ(Metric(registry, "iop_db_pool_connections", "state", "in_use"), 0);
  EXPECT_GE(Metric(registry, "iop_db_pool_connections", "state", "idle"), 1);
  EXPECT_EQ(Metric(registry, "iop_db_pool_size"), 8);
  EXPECT_EQ(Metric(registry, "iop_db_query_duration_seconds", "op", "bump"), kThreads * kEach);
  EXPECT_GE(Metric(registry, "iop_db_pool_wait_seconds"), kThreads * kEach);
}

TEST(DbPool, ExhaustedPoolTimesOutWithUnavailable) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::PoolOptions options = Options(db, 2);
  options.acquire_timeout = milliseconds(300);
  db::Pool pool(options, registry);
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(pool.Acquire(), db::Unavailable);
  EXPECT_THROW(pool.Transact([](pqxx::work&) {}), db::Unavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(600));
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "unavailable"), 2);
  // Busy is not down: health still answers.
  EXPECT_TRUE(pool.Ping());
  a.Release();
  EXPECT_NO_THROW(pool.Transact([](pqxx::work& tx) { tx.exec1("SELECT 1"); }));
}

TEST(DbPool, UnreachableServerIsUnavailable) {
  prometheus::Registry registry;
  db::Pool pool({.url = "postgresql://postgres@127.0.0.1:" + std::to_string(testing::FreePort()) + "/x",
                 .size = 2, .service = "dbtest"},
                registry);
  EXPECT_THROW(pool.Transact([](pqxx::work&) {}), db::Unavailable);
  EXPECT_FALSE(pool.Ping());
  EXPECT_EQ(Metric(registry, "iop_db_pool_connections", "state", "in_use"), 0);
}

TEST(DbPool, BrokenConnectionsAreReplaced) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 4), registry);
  {
    // Open all four connections so that every idle one is dead afterwards.
    std::vector<db::Pool::Lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(pool.Acquire());
  }
  EXPECT_EQ(Metric(registry, "iop_db_pool_connections", "state", "idle"), 4);
  TerminatePoolBackends(db);
  EXPECT_EQ(pool.Transact([](pqxx::work& tx) { return tx.exec1("SELECT 41 + 1")[0].as<int>(); }), 42);
  EXPECT_TRUE(pool.Ping());
  TerminatePoolBackends(db);
  EXPECT_TRUE(pool.Ping());
}

TEST(DbPool, ConnectionLostBeforeCommitRunsOnceMore) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE items (id int)");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  int attempts = 0;
  pool.Transact([&](pqxx::work& tx) {
    ++attempts;
    tx.exec0("INSERT INTO items VALUES (1)");
    if (attempts == 1) {
      const int pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
      Admin(testing::DatabaseServerUrl(), "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
      tx.exec0("INSERT INTO items VALUES (2)");  // fails: the server is gone
    }
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM items"), 1);
}

TEST(DbPool, SerializationFailureIsRetried) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL); INSERT INTO acct VALUES (1, 0)");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  int attempts = 0;
  pool.Transact([&](pqxx::work& tx) {
    ++attempts;
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    tx.exec1("SELECT v FROM acct WHERE id = 1");  // takes the snapshot
    if (attempts == 1) Admin(db.url(), "UPDATE acct SET v = v + 100 WHERE id = 1");
    tx.exec0("UPDATE acct SET v = v + 1 WHERE id = 1");
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Count(db.url(), "SELECT v FROM acct"), 101);
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "serialization"), 1);
}

TEST(DbPool, PersistentConflictGivesUpAfterThreeTries) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL); INSERT INTO acct VALUES (1, 0)");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  int attempts = 0;
  EXPECT_THROW(pool.Transact([&](pqxx::work& tx) {
    ++attempts;
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    tx.exec1("SELECT v FROM acct WHERE id = 1");
    Admin(db.url(), "UPDATE acct SET v = v + 100 WHERE id = 1");
    tx.exec0("UPDATE acct SET v = v + 1 WHERE id = 1");
  }),
               pqxx::serialization_failure);
  EXPECT_EQ(attempts, 3);
}

TEST(DbPool, ApplicationErrorsAreNotRetried) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  int attempts = 0;
  EXPECT_THROW(pool.Transact([&](pqxx::work&) { ++attempts; throw std::out_of_range("nope"); }),
               std::out_of_range);
  EXPECT_THROW(pool.Transact([&](pqxx::work& tx) { ++attempts; tx.exec0("SELECT * FROM missing"); }),
               pqxx::undefined_table);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "other"), 1);
}

TEST(DbPool, AutocommitWritesAsTheStatementEndsAndAFailedOneNothing) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE items (id int PRIMARY KEY)");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  const int written = pool.Autocommit(
      [](pqxx::nontransaction& tx) {
        return static_cast<int>(tx.exec("INSERT INTO items SELECT generate_series(1, 3) RETURNING id").size());
      },
      "insert");
  EXPECT_EQ(written, 3);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM items"), 3);
  EXPECT_EQ(Metric(registry, "iop_db_query_duration_seconds", "op", "insert"), 1);
  // id 3 exists: the statement fails whole and is not run again.
  int attempts = 0;
  EXPECT_THROW(pool.Autocommit([&](pqxx::nontransaction& tx) {
    ++attempts;
    tx.exec0("INSERT INTO items SELECT generate_series(4, 10) UNION ALL SELECT 3");
  }),
               pqxx::unique_violation);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM items"), 3);
}

TEST(DbPool, AStatementRefusingItselfOnPurposeIsNotADatabaseError) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  try {
    pool.Autocommit([](pqxx::nontransaction& tx) {
      tx.exec0("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'IOP99', MESSAGE = 'refused'; END $$");
    });
    FAIL() << "the refusal did not reach the caller";
  } catch (const pqxx::sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "IOP99");
  }
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "other"), 0);
  EXPECT_THROW(pool.Autocommit([](pqxx::nontransaction& tx) { tx.exec0("SELECT * FROM missing"); }),
               pqxx::undefined_table);
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "other"), 1);
}

TEST(DbPool, AutocommitRunsADeadlockedStatementAgain) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE acct (id int PRIMARY KEY, v int NOT NULL); INSERT INTO acct VALUES (1, 0), (2, 0)");
  // The pool's sessions look for a deadlock after waiting 2 s; the other
  // session below after 30 s, so the statement is the one PostgreSQL fails.
  Admin(db.url(), "ALTER DATABASE " + db.name() + " SET deadlock_timeout = '2s'");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  pqxx::connection other(db.url());
  pqxx::work other_tx(other);
  other_tx.exec0("SET LOCAL deadlock_timeout = '30s'");
  other_tx.exec0("UPDATE acct SET v = v + 10 WHERE id = 2");
  std::atomic<int> attempts{0};
  auto statement = std::async(std::launch::async, [&] {
    pool.Autocommit([&](pqxx::nontransaction& tx) {
      ++attempts;
      // Row 1 first, then row 2, which the other session holds.
      tx.exec0("UPDATE acct SET v = v + 1 WHERE id IN (SELECT id FROM acct ORDER BY id FOR UPDATE)");
    });
  });
  // Only this database's sessions: suites running at the same time on the
  // same server wait on locks of their own.
  ASSERT_TRUE(testing::Eventually([&] {
    return Count(db.url(),
                 "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                 " WHERE NOT l.granted AND l.locktype = 'transactionid' AND a.datname = current_database()") == 1;
  }));
  // Now the other session wants row 1: a cycle, broken by failing the statement.
  other_tx.exec0("UPDATE acct SET v = v + 10 WHERE id = 1");
  other_tx.commit();
  statement.get();
  EXPECT_EQ(attempts.load(), 2);
  EXPECT_EQ(Count(db.url(), "SELECT sum(v) FROM acct"), 22);
  EXPECT_EQ(Metric(registry, "iop_db_errors_total", "kind", "serialization"), 1);
}

TEST(DbPool, AutocommitLosingItsConnectionHasAnUnknownOutcome) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  int attempts = 0;
  EXPECT_THROW(pool.Autocommit([&](pqxx::nontransaction& tx) {
    ++attempts;
    const int pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
    Admin(testing::DatabaseServerUrl(), "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    tx.exec0("SELECT 1");  // fails: the server is gone
  }),
               db::CommitUnknown);
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(pool.Ping());
}

TEST(DbPool, ReadRefusesWrites) {
  testing::ScratchDatabase db("dbpool");
  Admin(db.url(), "CREATE TABLE items (id int)");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  EXPECT_THROW(pool.Read([](pqxx::work& tx) { tx.exec0("INSERT INTO items VALUES (1)"); }),
               pqxx::sql_error);
  EXPECT_EQ(pool.Read([](pqxx::work& tx) {
    return tx.exec1("SHOW transaction_isolation")[0].as<std::string>();
  }), "repeatable read");
}

TEST(DbPool, StatementTimeoutApplies) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::PoolOptions options = Options(db, 1);
  options.statement_timeout = milliseconds(200);
  db::Pool pool(options, registry);
  EXPECT_THROW(pool.Transact([](pqxx::work& tx) { tx.exec("SELECT pg_sleep(2)"); }), pqxx::sql_error);
  EXPECT_TRUE(pool.Ping());
}

TEST(DbPool, PreparedStatementsSurviveReconnect) {
  testing::ScratchDatabase db("dbpool");
  prometheus::Registry registry;
  db::Pool pool(Options(db, 2), registry);
  pool.Prepare("add_one", "SELECT $1::int + 1");
  pool.Prepare("add_one", "SELECT $1::int + 1");  // same definition: fine
  EXPECT_THROW(pool.Prepare("add_one", "SELECT 2"), std::invalid_argument);
  auto run = [&] {
    return pool.Transact([](pqxx::work& tx) { return tx.exec_prepared1("add_one", 41)[0].as<int>(); });
  };
  EXPECT_EQ(run(), 42);
  // Registered after the connection first prepared: still reaches it.
  pool.Prepare("times_two", "SELECT $1::int * 2");
  EXPECT_EQ(pool.Read([](pqxx::work& tx) { return tx.exec_prepared1("times_two", 21)[0].as<int>(); }), 42);
  TerminatePoolBackends(db);
  EXPECT_EQ(run(), 42);
  EXPECT_EQ(pool.Read([](pqxx::work& tx) { return tx.exec_prepared1("times_two", 4)[0].as<int>(); }), 8);
}

// ---- Migrations ----

std::vector<migrations::Migration> ServiceMigrations() {
  return {{1, "0001_runs", "CREATE TABLE runs (m int NOT NULL); INSERT INTO runs VALUES (1);"},
          // Slow on purpose so that concurrent starts overlap.
          {2, "0002_more", "SELECT pg_sleep(0.2); INSERT INTO runs VALUES (2);"}};
}

TEST(MigrateApply, AppliesOnceAndAgainIsANoop) {
  testing::ScratchDatabase db("migrate");
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM schema_migrations WHERE scope = 'svc'"), 2);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM schema_migrations WHERE scope = 'common'"),
            static_cast<long long>(db::CommonMigrations().size()));
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM audit_events"), 0);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM idempotency_keys"), 0);
}

TEST(MigrateApply, AddsNewMigrationsLater) {
  testing::ScratchDatabase db("migrate");
  auto first = ServiceMigrations();
  first.pop_back();
  db::ApplyMigrations(db.url(), "svc", first);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs"), 1);
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs"), 2);
}

TEST(MigrateApply, ConcurrentStartsApplyEachMigrationOnce) {
  testing::ScratchDatabase db("migrate");
  std::atomic<int> failures{0};
  std::vector<std::thread> replicas;
  for (int i = 0; i < 6; ++i) {
    replicas.emplace_back([&] {
      try {
        db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& r : replicas) r.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs WHERE m = 1"), 1);
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs WHERE m = 2"), 1);
}

TEST(MigrateApply, RefusesChangedHistory) {
  testing::ScratchDatabase db("migrate");
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
  auto renamed = ServiceMigrations();
  renamed[0].name = "0001_renamed";
  try {
    db::ApplyMigrations(db.url(), "svc", renamed);
    FAIL() << "changed history accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("history was changed"), std::string::npos) << e.what();
  }
}

TEST(MigrateApply, RefusesDatabaseNewerThanBinary) {
  testing::ScratchDatabase db("migrate");
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());
  auto older = ServiceMigrations();
  older.pop_back();
  try {
    db::ApplyMigrations(db.url(), "svc", older);
    FAIL() << "newer database accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos) << e.what();
  }
}

TEST(MigrateApply, FailedMigrationRollsBackAndIsNamed) {
  testing::ScratchDatabase db("migrate");
  auto broken = ServiceMigrations();
  broken[1].sql = "INSERT INTO runs VALUES (2); SELECT * FROM no_such_table;";
  try {
    db::ApplyMigrations(db.url(), "svc", broken);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("svc/0002_more"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(Count(db.url(), "SELECT max(version) FROM schema_migrations WHERE scope = 'svc'"), 1);
  db::ApplyMigrations(db.url(), "svc", ServiceMigrations());  // fixed release
  EXPECT_EQ(Count(db.url(), "SELECT count(*) FROM runs"), 2);
}

TEST(MigrateApply, UnreachableDatabaseIsUnavailable) {
  EXPECT_THROW(db::ApplyMigrations("postgresql://postgres@127.0.0.1:" +
                                       std::to_string(testing::FreePort()) + "/x",
                                   "svc", ServiceMigrations()),
               db::Unavailable);
}

// ---- Idempotency ----

class IdempotencyTest : public ::testing::Test {
 protected:
  IdempotencyTest() : db_("idem") {
    db::ApplyMigrations(db_.url(), "svc", {{1, "0001_work", "CREATE TABLE work_log (id serial, request text)"}});
    pool_ = std::make_unique<db::Pool>(Options(db_), registry_);
  }

  // A write handler in the shape services use: claim, work, complete.
  std::string Handle(const std::string& request_id, const std::string& request,
                     milliseconds work_time = milliseconds(0)) {
    return pool_->Transact([&](pqxx::work& tx) {
      if (auto done = idempotency::Claim(tx, "org1", "DoWork", request_id,
                                         idempotency::Fingerprint(request))) {
        return *done;
      }
      if (work_time.count() > 0) {
        tx.exec_params("SELECT pg_sleep($1)", work_time.count() / 1000.0);
      }
      const int id = tx.exec_params1("INSERT INTO work_log (request) VALUES ($1) RETURNING id", request)[0].as<int>();
      std::string response = "done#" + std::to_string(id);
      idempotency::Complete(tx, "org1", "DoWork", request_id, response);
      return response;
    });
  }

  long long WorkDone() { return Count(db_.url(), "SELECT count(*) FROM work_log"); }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(IdempotencyTest, RepeatReturnsFirstResponseWithoutWork) {
  const std::string first = Handle("req-1", "payload");
  EXPECT_EQ(Handle("req-1", "payload"), first);
  EXPECT_EQ(WorkDone(), 1);
  EXPECT_NE(Handle("req-2", "payload"), first);
  EXPECT_EQ(WorkDone(), 2);
}

TEST_F(IdempotencyTest, ConcurrentDuplicatesDoTheWorkOnce) {
  std::vector<std::string> responses(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        responses[i] = Handle("req-c", "payload", milliseconds(100));
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(WorkDone(), 1);
  EXPECT_EQ(std::set<std::string>(responses.begin(), responses.end()).size(), 1u);
  EXPECT_EQ(responses[0], "done#1");
}

TEST_F(IdempotencyTest, ReusedIdWithOtherRequestIsRejected) {
  Handle("req-1", "payload");
  EXPECT_THROW(Handle("req-1", "other payload"), idempotency::RequestIdReused);
  EXPECT_EQ(WorkDone(), 1);
}

TEST_F(IdempotencyTest, SameIdInAnotherOrgOrMethodIsIndependent) {
  Handle("req-1", "payload");
  pool_->Transact([](pqxx::work& tx) {
    EXPECT_EQ(idempotency::Claim(tx, "org2", "DoWork", "req-1", "fp"), std::nullopt);
    EXPECT_EQ(idempotency::Claim(tx, "org1", "OtherWork", "req-1", "fp"), std::nullopt);
  });
}

TEST_F(IdempotencyTest, RollbackReleasesTheClaim) {
  EXPECT_THROW(pool_->Transact([](pqxx::work& tx) {
    EXPECT_EQ(idempotency::Claim(tx, "org1", "DoWork", "req-1", idempotency::Fingerprint("payload")),
              std::nullopt);
    tx.exec0("INSERT INTO work_log (request) VALUES ('payload')");
    throw std::runtime_error("validation failed after the claim");
  }),
               std::runtime_error);
  EXPECT_EQ(WorkDone(), 0);
  EXPECT_EQ(Handle("req-1", "payload"), "done#2");  // serial 1 went with the rollback
  EXPECT_EQ(WorkDone(), 1);
}

TEST_F(IdempotencyTest, EmptyRequestIdAlwaysDoesTheWork) {
  Handle("", "payload");
  Handle("", "payload");
  EXPECT_EQ(WorkDone(), 2);
  EXPECT_EQ(Count(db_.url(), "SELECT count(*) FROM idempotency_keys"), 0);
}

TEST_F(IdempotencyTest, StoresBinaryResponsesExactly) {
  const std::string bytes("\0\x01\xff\\x00'\"", 9);
  auto store = [&] {
    return pool_->Transact([&](pqxx::work& tx) {
      if (auto done = idempotency::Claim(tx, "org1", "Bin", "r", "fp")) return *done;
      idempotency::Complete(tx, "org1", "Bin", "r", bytes);
      return std::string("first");
    });
  };
  EXPECT_EQ(store(), "first");
  EXPECT_EQ(store(), bytes);
}

TEST_F(IdempotencyTest, PurgeRemovesOnlyOldKeys) {
  Handle("old", "payload");
  Handle("new", "payload");
  Admin(db_.url(), "UPDATE idempotency_keys SET created_at = now() - interval '10 days' WHERE request_id = 'old'");
  EXPECT_EQ(idempotency::Purge(*pool_, std::chrono::days(7)), 1);
  EXPECT_EQ(Count(db_.url(), "SELECT count(*) FROM idempotency_keys WHERE request_id = 'new'"), 1);
  Handle("old", "payload");  // forgotten: done again
  EXPECT_EQ(WorkDone(), 3);
}

// ---- Audit ----

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() : db_("audit") {
    db::ApplyMigrations(db_.url(), "svc", {});
    pool_ = std::make_unique<db::Pool>(Options(db_, 2), registry_);
    log_ = std::make_unique<audit::AuditLog>(*pool_);
  }

  audit::AuditEvent Event(const std::string& org, const std::string& method,
                          std::vector<std::string> ids, const std::string& subject = "u1") {
    return {.org = org, .subject = subject, .roles = {"clinician", "admin"}, .method = method,
            .resource_ids = std::move(ids), .outcome = "OK", .detail = ""};
  }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<audit::AuditLog> log_;
};

TEST_F(AuditTest, RecordsAndPagesNewestFirstWithinOrg) {
  for (int i = 1; i <= 5; ++i) log_->Record(Event("orgA", "GetClient", {"c" + std::to_string(i)}));
  log_->Record(Event("orgB", "GetClient", {"secret"}));

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = log_->List("orgA", {}, 2, token);
    ++pages;
    for (const auto& r : page.events) {
      EXPECT_EQ(r.event.org, "orgA");
      seen.push_back(r.event.resource_ids.at(0));
    }
    token = page.next_page_token;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"c5", "c4", "c3", "c2", "c1"}));

  auto b = log_->List("orgB", {}, 0, "");
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].event.resource_ids, std::vector<std::string>{"secret"});
  EXPECT_EQ(b.events[0].event.roles, (std::vector<std::string>{"clinician", "admin"}));
  EXPECT_TRUE(b.next_page_token.empty());
  EXPECT_LT(absl::Now() - b.events[0].occurred_at, absl::Minutes(1));

  // orgB following orgA's cursor sees nothing of orgA.
  auto first = log_->List("orgA", {}, 1, "");
  EXPECT_TRUE(log_->List("orgB", {}, 10, first.next_page_token).events.empty());
  EXPECT_THROW(log_->List("orgA", {}, 10, "garbage"), audit::InvalidPageToken);
}

TEST_F(AuditTest, FiltersNarrowTheList) {
  log_->Record(Event("orgA", "GetClient", {"c1"}, "alice"));
  log_->Record(Event("orgA", "ListSessions", {"s1", "c1"}, "bob"));
  log_->Record(Event("orgA", "GetClient", {"c2"}, "bob"));
  auto count = [&](const audit::AuditFilter& f) { return log_->List("orgA", f, 100, "").events.size(); };
  EXPECT_EQ(count({.method = "GetClient"}), 2u);
  EXPECT_EQ(count({.resource_id = "c1"}), 2u);
  EXPECT_EQ(count({.subject = "bob"}), 2u);
  EXPECT_EQ(count({.method = "GetClient", .subject = "bob"}), 1u);
  EXPECT_EQ(count({.start_time = absl::Now() - absl::Minutes(5)}), 3u);
  EXPECT_EQ(count({.start_time = absl::Now() + absl::Minutes(5)}), 0u);
  EXPECT_EQ(count({.end_time = absl::Now() - absl::Minutes(5)}), 0u);
  EXPECT_EQ(count({.start_time = absl::InfinitePast(), .end_time = absl::InfiniteFuture()}), 3u);
}

TEST_F(AuditTest, TableIsAppendOnly) {
  log_->Record(Event("orgA", "GetClient", {"c1"}));
  pqxx::connection conn(db_.url());
  for (const char* sql : {"UPDATE audit_events SET outcome = 'forged'", "DELETE FROM audit_events",
                          "DELETE FROM audit_events WHERE false", "TRUNCATE audit_events"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  EXPECT_EQ(Count(db_.url(), "SELECT count(*) FROM audit_events WHERE outcome = 'OK'"), 1);
}

TEST_F(AuditTest, RecordNeverThrowsAndCountsFailures) {
  testing::ScratchDatabase empty("audit");  // no audit_events table
  db::Pool pool(Options(empty, 1), registry_);
  audit::AuditLog broken(pool);
  EXPECT_NO_THROW(broken.Record(Event("orgA", "GetClient", {"c1"})));
  EXPECT_EQ(Metric(registry_, "iop_audit_write_failures_total"), 1);
}

}  // namespace
}  // namespace iop
