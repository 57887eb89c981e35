// The store's write paths against a real PostgreSQL: a check-in creates its
// record in one statement when none exists and still merges into a record a
// form wrote first; program rules are copied when they change, and only then.
#include "attendance/store/attendance_store.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "common/errors.h"
#include "common/migrate.h"
#include "support/test_env.h"

namespace iop::migrations {
std::vector<Migration> attendance_migrations();
}

namespace iop::attendance::store {
namespace {

class AttendanceStoreTest : public ::testing::Test {
 protected:
  AttendanceStoreTest() : db_("att_store") {
    db::ApplyMigrations(db_.url(), "attendance", migrations::attendance_migrations());
    pool_ = std::make_unique<db::Pool>(db::PoolOptions{.url = db_.url(), .size = 2, .service = "t"},
                                       registry_);
    store_ = std::make_unique<AttendanceStore>(*pool_);
    caller_.org = "orgA";
    caller_.subject = "front-desk";
    session_.session_id = "s1";
    session_.group_id = "g1";
    session_.site_id = "site1";
    session_.program_id = "p1";
    session_.time_zone = "America/New_York";
    session_.local_date = absl::CivilDay(2024, 3, 11);
    session_.start = absl::FromUnixSeconds(1710162000);  // 2024-03-11 09:00 New York (EDT)
    session_.end = session_.start + absl::Hours(3);
  }

  Written<v1::AttendanceRecord> CheckIn(const std::string& client, const std::string& request_id) {
    v1::CheckInRequest req;
    req.set_session_id(session_.session_id);
    req.set_client_id(client);
    req.set_request_id(request_id);
    return store_->CheckIn(caller_, session_, client, 7, session_.start, {"CheckIn", req, request_id});
  }

  testing::ScratchDatabase db_;
  prometheus::Registry registry_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<AttendanceStore> store_;
  auth::Caller caller_;
  SessionContext session_;
};

TEST_F(AttendanceStoreTest, CheckInCreatesTheRecordWithItsFirstVersion) {
  auto written = CheckIn("c1", "r1");
  EXPECT_TRUE(written.fresh);
  EXPECT_TRUE(written.changed.at(0));
  EXPECT_EQ(written.response.status(), v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_EQ(written.response.mood_rating(), 7);
  EXPECT_EQ(written.response.version(), 1);
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
}

TEST_F(AttendanceStoreTest, CheckInAfterAFormMergesIntoTheExistingRecord) {
  v1::AttendanceEntry entry;
  entry.set_client_id("c1");
  entry.set_status(v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED);
  v1::RecordAttendanceRequest form;
  store_->Record(caller_, session_, {entry}, {"RecordAttendance", form, ""});

  auto written = CheckIn("c1", "r1");
  EXPECT_EQ(written.response.status(), v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_EQ(written.response.version(), 2) << "an update of the form's record, not a second record";
  EXPECT_EQ(store_->SessionRecords(caller_, "s1").size(), 1u);
  auto history = store_->History(caller_, "s1", "c1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status(), v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED);
}

TEST_F(AttendanceStoreTest, SecondCheckInIsRefusedAndWritesNothing) {
  CheckIn("c1", "r1");
  EXPECT_THROW(CheckIn("c1", "r2"), errors::RpcError);
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
}

TEST_F(AttendanceStoreTest, ProgramRulesFollowScheduling) {
  session_.rules.min_weekly_hours = 9;
  CheckIn("c1", "r1");
  EXPECT_DOUBLE_EQ(store_->Rules(caller_, {"p1"})["p1"].min_weekly_hours, 9);

  // Unchanged rules are not written again; changed ones are.
  session_.rules.min_weekly_hours = 12;
  session_.rules.consecutive_absence_threshold = 3;
  CheckIn("c2", "r2");
  auto rules = store_->Rules(caller_, {"p1"})["p1"];
  EXPECT_DOUBLE_EQ(rules.min_weekly_hours, 12);
  EXPECT_EQ(rules.consecutive_absence_threshold, 3);

  // Another process (a fresh store) changed them back: this one notices
  // its own copy differs from what it is given and writes again.
  AttendanceStore other(*pool_);
  SessionContext back = session_;
  back.rules.min_weekly_hours = 9;
  back.session_id = "s2";
  v1::CheckInRequest req;
  other.CheckIn(caller_, back, "c3", std::nullopt, back.start, {"CheckIn", req, "r3"});
  EXPECT_DOUBLE_EQ(store_->Rules(caller_, {"p1"})["p1"].min_weekly_hours, 9);
  session_.rules.min_weekly_hours = 10;
  CheckIn("c4", "r4");
  EXPECT_DOUBLE_EQ(store_->Rules(caller_, {"p1"})["p1"].min_weekly_hours, 10);
}

TEST_F(AttendanceStoreTest, RulesOfARolledBackWriteAreWrittenByTheNextOne) {
  CheckIn("c1", "r1");
  session_.rules.min_weekly_hours = 15;
  // Refused (already checked in): its transaction, rules included, rolls back.
  EXPECT_THROW(CheckIn("c1", "r2"), errors::RpcError);
  EXPECT_DOUBLE_EQ(store_->Rules(caller_, {"p1"})["p1"].min_weekly_hours, 9);
  CheckIn("c2", "r3");
  EXPECT_DOUBLE_EQ(store_->Rules(caller_, {"p1"})["p1"].min_weekly_hours, 15);
}

}  // namespace
}  // namespace iop::attendance::store
