// Pure pieces of the database runtime: retry classification, connection
// strings, migration history checks, fingerprints and page tokens.
#include <gtest/gtest.h>

#include <set>

#include "common/audit.h"
#include "common/db.h"
#include "common/idempotency.h"
#include "common/migrate.h"

namespace iop {
namespace {

using db::Failure;

std::exception_ptr Error(auto e) { return std::make_exception_ptr(e); }

TEST(DbRetry, ConflictsAreRetryableWhereverTheyHappen) {
  for (bool commit_sent : {false, true}) {
    EXPECT_EQ(db::Classify(Error(pqxx::serialization_failure("x")), commit_sent, true),
              Failure::kConflict);
    EXPECT_EQ(db::Classify(Error(pqxx::deadlock_detected("x")), commit_sent, true),
              Failure::kConflict);
    EXPECT_EQ(db::Classify(Error(pqxx::sql_error("x", "q", "40001")), commit_sent, true),
              Failure::kConflict);
  }
}

TEST(DbRetry, LostConnectionDependsOnWhetherCommitWasSent) {
  EXPECT_EQ(db::Classify(Error(pqxx::broken_connection("x")), false, false),
            Failure::kBrokenBeforeCommit);
  EXPECT_EQ(db::Classify(Error(pqxx::broken_connection("x")), true, false),
            Failure::kCommitUnknown);
  EXPECT_EQ(db::Classify(Error(pqxx::in_doubt_error("x")), true, false), Failure::kCommitUnknown);
  // The server's goodbye arrives as an SQL error on a now-closed connection.
  EXPECT_EQ(db::Classify(Error(pqxx::sql_error("terminating", "q", "57P01")), false, false),
            Failure::kBrokenBeforeCommit);
}

TEST(DbRetry, OtherErrorsAreNotRetried) {
  EXPECT_EQ(db::Classify(Error(pqxx::unique_violation("dup", "q", "23505")), false, true),
            Failure::kOther);
  // The application's own exception is final even on a dead connection.
  EXPECT_EQ(db::Classify(Error(std::runtime_error("not found")), false, false), Failure::kOther);
}

TEST(DbRetry, BudgetIsBounded) {
  db::RetryBudget budget;
  EXPECT_TRUE(db::AllowRetry(Failure::kConflict, budget));
  EXPECT_TRUE(db::AllowRetry(Failure::kConflict, budget));
  EXPECT_FALSE(db::AllowRetry(Failure::kConflict, budget));
  EXPECT_TRUE(db::AllowRetry(Failure::kBrokenBeforeCommit, budget));
  EXPECT_FALSE(db::AllowRetry(Failure::kBrokenBeforeCommit, budget));
  db::RetryBudget fresh;
  EXPECT_FALSE(db::AllowRetry(Failure::kCommitUnknown, fresh));
  EXPECT_FALSE(db::AllowRetry(Failure::kOther, fresh));
}

TEST(DbRetry, DelayIsJitteredAndGrows) {
  std::set<long> seen;
  for (int i = 0; i < 50; ++i) {
    auto d = db::RetryDelay(1).count();
    EXPECT_GE(d, 10);
    EXPECT_LE(d, 20);
    seen.insert(d);
  }
  EXPECT_GT(seen.size(), 1u);
  EXPECT_GE(db::RetryDelay(3).count(), 40);
}

TEST(DbErrors, ASummaryLeavesOutTheRowValuesOfTheDetail) {
  const pqxx::check_violation error(
      "ERROR:  new row for relation \"attendance_records\" violates check constraint \"mood\"\n"
      "DETAIL:  Failing row contains (client-7, 11).\n");
  EXPECT_EQ(db::ErrorSummary(error),
            "ERROR:  new row for relation \"attendance_records\" violates check constraint \"mood\"");
  EXPECT_EQ(db::ErrorSummary(std::runtime_error("one line")), "one line");
}

TEST(DbConnectionString, AddsTimeoutsToUrl) {
  std::string s = db::ConnectionString("postgresql://u@h:5432/d", "scheduling",
                                       std::chrono::milliseconds(5000), std::chrono::seconds(3));
  EXPECT_NE(s.find("?application_name=scheduling&connect_timeout=3&"), std::string::npos) << s;
  EXPECT_NE(s.find("options=-c%20statement_timeout%3D5000"), std::string::npos) << s;
}

TEST(DbConnectionString, KeepsCallerSettingsAndKeyValueForm) {
  std::string url = db::ConnectionString("postgresql://h/d?sslmode=require&connect_timeout=9", "",
                                         std::chrono::milliseconds(0), std::chrono::seconds(3));
  EXPECT_NE(url.find("connect_timeout=9"), std::string::npos);
  EXPECT_EQ(url.find("connect_timeout=3"), std::string::npos);
  EXPECT_EQ(url.find("statement_timeout"), std::string::npos);

  std::string kv = db::ConnectionString("host=h dbname=d", "svc", std::chrono::milliseconds(100),
                                        std::chrono::seconds(1));
  EXPECT_NE(kv.find("host=h dbname=d application_name='svc' connect_timeout='2'"),
            std::string::npos) << kv;
  EXPECT_NE(kv.find("options='-c statement_timeout=100'"), std::string::npos) << kv;
}

std::vector<migrations::Migration> Known() {
  return {{1, "0001_a", "select 1"}, {2, "0002_b", "select 2"}};
}

TEST(MigrateHistory, AcceptsPrefixOfKnown) {
  EXPECT_NO_THROW(db::CheckHistory("svc", Known(), {}));
  EXPECT_NO_THROW(db::CheckHistory("svc", Known(), {{1, "0001_a"}}));
  EXPECT_NO_THROW(db::CheckHistory("svc", Known(), {{1, "0001_a"}, {2, "0002_b"}}));
}

TEST(MigrateHistory, RefusesNewerDatabase) {
  try {
    db::CheckHistory("svc", Known(), {{1, "0001_a"}, {2, "0002_b"}, {3, "0003_c"}});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos);
  }
}

TEST(MigrateHistory, RefusesRewrittenHistory) {
  EXPECT_THROW(db::CheckHistory("svc", Known(), {{1, "0001_renamed"}}), std::runtime_error);
  EXPECT_THROW(db::CheckHistory("svc", {{2, "0002_b", ""}}, {{1, "0001_a"}, {2, "0002_b"}}),
               std::runtime_error);
  // A migration slipped in below an applied one.
  EXPECT_THROW(db::CheckHistory("svc", Known(), {{2, "0002_b"}}), std::runtime_error);
  EXPECT_THROW(db::CheckHistory("svc", {{1, "a", ""}, {1, "b", ""}}, {}), std::runtime_error);
}

TEST(MigrateHistory, CommonMigrationsAreConsistent) {
  EXPECT_NO_THROW(db::CheckHistory("common", db::CommonMigrations(), {}));
}

TEST(MigrateLockKey, StablePerScope) {
  EXPECT_EQ(db::MigrationLockKey("scheduling"), db::MigrationLockKey("scheduling"));
  EXPECT_NE(db::MigrationLockKey("scheduling"), db::MigrationLockKey("attendance"));
}

TEST(IdempotencyFingerprint, StableAndDiscriminating) {
  // Fixed by definition: the first half of the empty input is FNV-1a's basis.
  EXPECT_EQ(idempotency::Fingerprint("").substr(0, 16), "cbf29ce484222325");
  EXPECT_EQ(idempotency::Fingerprint("a").substr(0, 16), "af63dc4c8601ec8c");
  std::string f = idempotency::Fingerprint("request bytes");
  EXPECT_EQ(f.size(), 32u);
  EXPECT_EQ(f, idempotency::Fingerprint("request bytes"));
  EXPECT_NE(f, idempotency::Fingerprint("request bytez"));
  EXPECT_NE(idempotency::Fingerprint(std::string("\0", 1)), idempotency::Fingerprint(""));
}

TEST(AuditPageToken, RoundTripsAndRejectsJunk) {
  EXPECT_EQ(audit::DecodePageToken(audit::EncodePageToken(42)), 42);
  EXPECT_EQ(audit::DecodePageToken(audit::EncodePageToken(9007199254740993LL)), 9007199254740993LL);
  EXPECT_EQ(audit::DecodePageToken("42"), std::nullopt);
  EXPECT_EQ(audit::DecodePageToken("!!!"), std::nullopt);
  EXPECT_EQ(audit::DecodePageToken(audit::EncodePageToken(0)), std::nullopt);
  EXPECT_EQ(audit::DecodePageToken(audit::EncodePageToken(-5)), std::nullopt);
}

}  // namespace
}  // namespace iop
