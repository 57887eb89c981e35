// WriteOnce carries the audit event of the call being served into the
// write's own transaction: the event commits exactly when the write does.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <stdexcept>

#include "common/audit.h"
#include "common/idempotent.h"
#include "common/migrate.h"
#include "iop/scheduling/v1/scheduling.pb.h"
#include "support/test_env.h"

namespace iop {
namespace {

namespace sched = iop::scheduling::v1;

class AuditedWriteTest : public ::testing::Test {
 protected:
  AuditedWriteTest() : db_("audited_write") {
    db::ApplyMigrations(db_.url(), "svc", {});
    pool_ = std::make_unique<db::Pool>(db::PoolOptions{.url = db_.url(), .size = 2, .service = "t"},
                                       registry_);
    caller_.org = "orgA";
    caller_.subject = "alice";
  }

  // A CreateSite-shaped write: one row in a scratch table, the site as response.
  sched::Site Write(const std::string& request_id, bool fail = false) {
    sched::CreateSiteRequest req;
    req.mutable_site()->set_display_name("North");
    req.set_request_id(request_id);
    return idempotency::WriteOnce<sched::Site>(
        *pool_, caller_, "CreateSite", req, request_id,
        [&](pqxx::work& tx) {
          tx.exec0("CREATE TABLE IF NOT EXISTS sites_written (id text)");
          tx.exec0("INSERT INTO sites_written VALUES ('site-1')");
          if (fail) throw std::runtime_error("the write fails after its statements");
          sched::Site site;
          site.set_id("site-1");
          return site;
        },
        {.invalidate = [&](const sched::Site& s) { invalidated_.push_back(s.id()); },
         .announce = [&](const sched::Site& s) { announced_.push_back(s.id()); }});
  }

  // From now on the server ends the connection of any transaction that
  // writes sites_written while it commits (a deferred trigger terminates its
  // own backend), so the outcome of that COMMIT is unknown to the client.
  void BreakConnectionsAtCommit() {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE IF NOT EXISTS sites_written (id text)");
    tx.exec0(
        "CREATE FUNCTION end_own_connection() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$");
    tx.exec0(
        "CREATE CONSTRAINT TRIGGER end_at_commit AFTER INSERT ON sites_written "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION end_own_connection()");
    tx.commit();
  }

  std::vector<audit::AuditRecord> Events() {
    audit::AuditLog log(*pool_);
    return log.List("orgA", {}, 100, "").events;
  }

  audit::AuditEvent Base() {
    return {.org = "orgA", .subject = "alice", .roles = {"admin"}, .method = "/svc.S/CreateSite"};
  }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::unique_ptr<db::Pool> pool_;
  auth::Caller caller_;
  std::vector<std::string> touched_{"touched-before-the-write"};
  std::string detail_;
  std::vector<std::string> invalidated_, announced_;
};

TEST_F(AuditedWriteTest, EventCommitsWithTheWriteAndNamesWhatItReturned) {
  {
    audit::CallAudit call(Base(), touched_, detail_);
    Write("r1");
    EXPECT_TRUE(call.committed());
  }
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.outcome, "OK");
  EXPECT_EQ(events[0].event.method, "/svc.S/CreateSite");
  EXPECT_EQ(events[0].event.resource_ids,
            (std::vector<std::string>{"touched-before-the-write", "site-1"}));
  EXPECT_EQ(audit::CallAudit::Current(), nullptr) << "uninstalled when the call ends";
}

// With a request_id the event goes in one statement with the stored
// response; without one, on its own. Both commit with the write.
TEST_F(AuditedWriteTest, WriteWithoutRequestIdIsAuditedToo) {
  {
    audit::CallAudit call(Base(), touched_, detail_);
    Write("");
    EXPECT_TRUE(call.committed());
  }
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.resource_ids,
            (std::vector<std::string>{"touched-before-the-write", "site-1"}));
}

TEST_F(AuditedWriteTest, RolledBackWriteLeavesNoEventForTheRunnerToWriteItself) {
  audit::CallAudit call(Base(), touched_, detail_);
  EXPECT_THROW(Write("r1", /*fail=*/true), std::runtime_error);
  EXPECT_FALSE(call.committed());
  EXPECT_TRUE(Events().empty());
}

TEST_F(AuditedWriteTest, ReplayIsAuditedAsItsOwnCall) {
  {
    audit::CallAudit first(Base(), touched_, detail_);
    Write("r1");
  }
  {
    audit::CallAudit retry(Base(), touched_, detail_);
    EXPECT_EQ(Write("r1").id(), "site-1");
    EXPECT_TRUE(retry.committed());
  }
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(AuditedWriteTest, FirstAnswerInvalidatesAndAnnouncesReplayNeither) {
  Write("r1");
  Write("r1");
  EXPECT_EQ(invalidated_, std::vector<std::string>{"site-1"});
  EXPECT_EQ(announced_, std::vector<std::string>{"site-1"});
}

// The write may have landed, so its cached copies must go; but nothing is
// announced for a write that may not exist.
TEST_F(AuditedWriteTest, CommitOfUnknownOutcomeInvalidatesButAnnouncesNothing) {
  BreakConnectionsAtCommit();
  EXPECT_THROW(Write("r1"), db::CommitUnknown);
  EXPECT_EQ(invalidated_, std::vector<std::string>{"site-1"});
  EXPECT_TRUE(announced_.empty());
}

TEST_F(AuditedWriteTest, RolledBackWriteNeitherInvalidatesNorAnnounces) {
  EXPECT_THROW(Write("r1", /*fail=*/true), std::runtime_error);
  EXPECT_TRUE(invalidated_.empty());
  EXPECT_TRUE(announced_.empty());
}

TEST_F(AuditedWriteTest, TwoWritesOfOneCallLeaveOneEvent) {
  {
    audit::CallAudit call(Base(), touched_, detail_);
    Write("r1");
    Write("r2");
  }
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(AuditedWriteTest, WritesOutsideACallAreNotAudited) {
  Write("r1");
  EXPECT_TRUE(Events().empty());
}

TEST(ResponseIds, TopLevelAndRepeatedMessageIds) {
  sched::ListSitesResponse list;
  list.add_sites()->set_id("a");
  list.add_sites()->set_id("b");
  EXPECT_EQ(idempotency::ResponseIds(list), (std::vector<std::string>{"a", "b"}));
  sched::Site site;
  EXPECT_TRUE(idempotency::ResponseIds(site).empty());
  site.set_id("s");
  EXPECT_EQ(idempotency::ResponseIds(site), std::vector<std::string>{"s"});
}

}  // namespace
}  // namespace iop
