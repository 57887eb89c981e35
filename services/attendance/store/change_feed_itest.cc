// The change feed against a real PostgreSQL: it LISTENs only while an
// Interest is held, Want returns once LISTEN is in effect, and a feed that
// cannot reach the database does not hold a new watch up.
#include "attendance/store/change_feed.h"

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

#include <thread>
#include <vector>

#include "common/db.h"
#include "support/test_env.h"

namespace iop::attendance::store {
namespace {

using ::iop::testing::Eventually;

class ChangeFeedTest : public ::testing::Test {
 protected:
  ChangeFeedTest() : db_("att_feed") {}
  ~ChangeFeedTest() override { feed_.reset(); }

  void StartFeed(const std::string& url) {
    feed_ = std::make_unique<ChangeFeed>(
        db::ConnectionString(url, "feed-under-test", std::chrono::milliseconds(0), std::chrono::seconds(2)),
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

  // The last statement the feed's session ran, as PostgreSQL reports it.
  std::string FeedBackendQuery() {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec("SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                        "AND application_name = 'feed-under-test'");
    return rows.size() == 1 ? rows[0][0].as<std::string>() : "(" + std::to_string(rows.size()) + " sessions)";
  }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::mutex mu_;
  std::vector<std::string> heard_;
  std::unique_ptr<ChangeFeed> feed_;
};

TEST_F(ChangeFeedTest, ListensOnlyWhileAnInterestIsHeld) {
  StartFeed(db_.url());
  ASSERT_TRUE(Eventually([&] { return FeedBackendQuery().empty(); })) << FeedBackendQuery();
  EXPECT_FALSE(feed_->listening());
  Announce("unheard-before");

  {
    auto interest = feed_->Want(std::chrono::seconds(5));
    // Want returned with LISTEN in effect: the next change is heard.
    ASSERT_TRUE(feed_->listening());
    EXPECT_EQ(FeedBackendQuery().rfind("LISTEN", 0), 0u) << FeedBackendQuery();
    Announce("heard-1");
    ASSERT_TRUE(Eventually([&] { return Heard().size() == 1; }));
  }
  ASSERT_TRUE(Eventually([&] { return !feed_->listening(); }));
  EXPECT_EQ(FeedBackendQuery().rfind("UNLISTEN", 0), 0u) << FeedBackendQuery();
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
