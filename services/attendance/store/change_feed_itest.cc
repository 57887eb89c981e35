// The change feed against a real PostgreSQL: it LISTENs only while an
// Interest is held, Want returns once LISTEN is in effect and the writes
// that could not see it listening have ended, record changes are announced
// only while a feed listens, and a feed that cannot reach the database does
// not hold a new watch up.
#include "attendance/store/change_feed.h"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

#include <future>
#include <thread>
#include <vector>

#include "common/db.h"
#include "common/migrate.h"
#include "support/test_env.h"

namespace iop::migrations {
std::vector<Migration> attendance_migrations();
}  // namespace iop::migrations

namespace iop::attendance::store {
namespace {

using ::iop::testing::Eventually;

class ChangeFeedTest : public ::testing::Test {
 protected:
  ChangeFeedTest() : db_("att_feed") {}
  ~ChangeFeedTest() override { feed_.reset(); }

  void StartFeed(const std::string& url, const std::string& name = "feed-under-test") {
    feed_ = std::make_unique<ChangeFeed>(
        db::ConnectionString(url, name, std::chrono::milliseconds(0), std::chrono::seconds(2)),
        [this](const RecordChange& c) {
          std::lock_guard lock(mu_);
          heard_.push_back(c.record_id);
        },
        registry_, std::chrono::milliseconds(50));
    feed_->Start();
  }

  // Announces a change of `record` as the trigger would, from another session.
  void Announce(const std::string& record) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_notify('iop_attendance_events', " +
            tx.quote(R"({"org":"o","session":"s","record":")" + record + R"(","version":1,"kind":"recorded"})") +
            ")");
  }

  std::vector<std::string> Heard() {
    std::lock_guard lock(mu_);
    return heard_;
  }

  // The feed session's application_name and last statement, as
  // PostgreSQL reports them.
  std::string FeedBackend() {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec("SELECT application_name || ': ' || query FROM pg_stat_activity "
                        "WHERE datname = current_database() AND backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid() AND application_name LIKE 'feed-under-test%'");
    return rows.size() == 1 ? rows[0][0].as<std::string>() : "(" + std::to_string(rows.size()) + " sessions)";
  }

  // A record change as a check-in writes it, from a session of its own.
  static void InsertRecord(pqxx::transaction_base& tx, const std::string& client) {
    tx.exec_params(
        "INSERT INTO attendance_records (org_id, session_id, client_id, group_id, site_id, program_id, "
        "local_date, session_start, session_end, time_zone, status, check_in_time, recorded_by) "
        "VALUES ('o', 's', $1, 'g', 'site', 'p', '2030-01-07', now(), now() + interval '3 hours', "
        "'America/New_York', 2, now(), 'staff')",
        client);
  }
  void InsertRecord(const std::string& client) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    InsertRecord(tx, client);
    tx.commit();
  }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::mutex mu_;
  std::vector<std::string> heard_;
  std::unique_ptr<ChangeFeed> feed_;
};

TEST_F(ChangeFeedTest, ListensOnlyWhileAnInterestIsHeld) {
  StartFeed(db_.url());
  ASSERT_TRUE(Eventually([&] { return FeedBackend() == "feed-under-test: "; })) << FeedBackend();
  EXPECT_FALSE(feed_->listening());
  Announce("unheard-before");

  {
    auto interest = feed_->Want(std::chrono::seconds(5));
    // Want returned with LISTEN in effect: the next change is heard.
    ASSERT_TRUE(feed_->listening());
    EXPECT_EQ(FeedBackend().rfind("feed-under-test (listening): ", 0), 0u) << FeedBackend();
    Announce("heard-1");
    ASSERT_TRUE(Eventually([&] { return Heard().size() == 1; }));
  }
  ASSERT_TRUE(Eventually([&] { return !feed_->listening(); }));
  EXPECT_EQ(FeedBackend(), R"(feed-under-test: UNLISTEN "iop_attendance_events")");
  Announce("unheard-between");

  auto again = feed_->Want(std::chrono::seconds(5));
  ASSERT_TRUE(feed_->listening());
  Announce("heard-2");
  ASSERT_TRUE(Eventually([&] { return Heard().size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Heard(), (std::vector<std::string>{"heard-1", "heard-2"}));
}

TEST_F(ChangeFeedTest, KeepsListeningUntilTheLastInterestIsReleased) {
  StartFeed(db_.url());
  auto first = feed_->Want(std::chrono::seconds(5));
  ChangeFeed::Interest second = feed_->Want(std::chrono::seconds(5));
  ASSERT_TRUE(feed_->listening());
  first = ChangeFeed::Interest();  // released by assignment
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(feed_->listening());
  Announce("heard");
  ASSERT_TRUE(Eventually([&] { return Heard().size() == 1; }));
  ChangeFeed::Interest moved = std::move(second);  // a move holds, it does not release
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(feed_->listening());
  moved = ChangeFeed::Interest();
  EXPECT_TRUE(Eventually([&] { return !feed_->listening(); }));
}

// What the announcing trigger (migration 0003) sends depends on whether a
// feed listens: a plain LISTEN elsewhere hears record changes only then.
TEST_F(ChangeFeedTest, RecordChangesAreAnnouncedOnlyWhileAFeedListens) {
  db::ApplyMigrations(db_.url(), "attendance", migrations::attendance_migrations());
  pqxx::connection bystander(db_.url());
  std::vector<std::string> overheard;
  struct Overhear : pqxx::notification_receiver {
    Overhear(pqxx::connection_base& c, std::vector<std::string>& out)
        : pqxx::notification_receiver(c, "iop_attendance_events"), out_(out) {}
    void operator()(const std::string& payload, int) override { out_.push_back(payload); }
    std::vector<std::string>& out_;
  } overhear(bystander, overheard);
  auto drain = [&] {
    while (bystander.await_notification(0, 200000) > 0) {
    }
  };
  // A name as long as the server keeps: the listening mark must still fit.
  StartFeed(db_.url(), "feed-under-test" + std::string(48, 'x'));
  ASSERT_TRUE(Eventually([&] { return FeedBackend().find(": ") == 63; })) << FeedBackend();

  InsertRecord("unannounced-before");
  drain();
  EXPECT_TRUE(overheard.empty()) << overheard.front();
  {
    auto interest = feed_->Want(std::chrono::seconds(5));
    ASSERT_TRUE(feed_->listening());
    InsertRecord("announced");
    ASSERT_TRUE(Eventually([&] { return Heard().size() == 1; }));
    drain();
    ASSERT_EQ(overheard.size(), 1u);
    EXPECT_NE(overheard[0].find(R"("kind" : "checked_in")"), std::string::npos) << overheard[0];
  }
  ASSERT_TRUE(Eventually([&] { return !feed_->listening(); }));
  InsertRecord("unannounced-after");
  drain();
  EXPECT_EQ(overheard.size(), 1u);
  EXPECT_EQ(Heard().size(), 1u);
}

// A write that looked for listeners before the feed showed as one commits
// unannounced; Want waits until it has, so "heard from now on" holds.
TEST_F(ChangeFeedTest, WantWaitsForWritesThatMayNotHaveAnnounced) {
  db::ApplyMigrations(db_.url(), "attendance", migrations::attendance_migrations());
  StartFeed(db_.url());
  ASSERT_TRUE(Eventually([&] { return FeedBackend() == "feed-under-test: "; })) << FeedBackend();
  pqxx::connection writer(db_.url());
  auto early = std::make_unique<pqxx::work>(writer);
  InsertRecord(*early, "looked-early");  // the trigger ran: nobody listened

  auto want = std::async(std::launch::async, [&] { return feed_->Want(std::chrono::seconds(10)); });
  EXPECT_EQ(want.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout)
      << "Want returned while a write that did not announce was still open";
  early->commit();
  early.reset();
  ASSERT_EQ(want.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto interest = want.get();
  EXPECT_TRUE(feed_->listening());
  InsertRecord("after");
  ASSERT_TRUE(Eventually([&] { return Heard().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(Heard().size(), 1u) << "the early write committed before Want returned, unannounced";
}

TEST_F(ChangeFeedTest, AFeedThatCannotConnectDoesNotHoldAWatchUp) {
  // A port nothing listens on: every connection attempt is refused at once.
  StartFeed("postgresql://postgres@127.0.0.1:1/none");
  ASSERT_TRUE(Eventually([&] {
    auto started = std::chrono::steady_clock::now();
    auto interest = feed_->Want(std::chrono::seconds(10));
    return std::chrono::steady_clock::now() - started < std::chrono::seconds(1);
  }));
  EXPECT_FALSE(feed_->listening());
}

}  // namespace
}  // namespace iop::attendance::store
