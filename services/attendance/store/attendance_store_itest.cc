// The store's write paths against a real PostgreSQL: a check-in creates its
// record in one statement when none exists and still merges into a record a
// form wrote first; program rules are copied when they change, and only then.
// Check-ins served as calls (with the call's audit event) take the
// one-statement path of checkin_first.cc, concurrent ones batched: same
// answer as the general path, one audit event, and whatever it cannot do
// falls through without a trace.
#include "attendance/store/attendance_store.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <prometheus/registry.h>

#include <functional>
#include <thread>

#include "common/audit.h"
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

class CheckInCallTest : public AttendanceStoreTest {
 protected:
  // A check-in as the API serves it: with the call's audit event installed.
  Written<v1::AttendanceRecord> CallCheckIn(const std::string& client, const std::string& request_id) {
    audit::CallAudit call({.org = "orgA", .subject = "front-desk", .roles = {"staff"}, .method = "CheckIn"},
                          touched_, detail_);
    return CheckIn(client, request_id);
  }

  // How a call ended: OK when it returned, else its error's code.
  static grpc::StatusCode CodeOf(const std::function<void()>& call) {
    try {
      call();
    } catch (const errors::RpcError& e) {
      return e.status().error_code();
    }
    return grpc::StatusCode::OK;
  }

  std::int64_t Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  std::int64_t AuditEventsNaming(const std::string& record_id) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec_params1("SELECT count(*) FROM audit_events WHERE $1 = ANY(resource_ids)", record_id)[0]
        .as<std::int64_t>();
  }

  std::vector<std::string> touched_;
  std::string detail_;
};

using google::protobuf::util::MessageDifferencer;

TEST_F(CheckInCallTest, AnswersWithTheRecordAsStored) {
  CallCheckIn("c0", "r0");  // the program's rules are stored: later check-ins go in one statement
  auto written = CallCheckIn("c1", "r1");
  EXPECT_TRUE(written.fresh);
  EXPECT_TRUE(written.changed.at(0));
  auto stored = store_->SessionRecords(caller_, "s1");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_TRUE(MessageDifferencer::Equals(written.response, stored[1].record))
      << written.response.DebugString() << " vs stored " << stored[1].record.DebugString();
  auto history = store_->History(caller_, "s1", "c1");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(history[0], written.response)) << history[0].DebugString();
  EXPECT_EQ(AuditEventsNaming(written.response.id()), 1);
}

// Observable in the table's counters: the general path claims the key and
// then stores the answer (an UPDATE); the usual check-in stores it at once.
TEST_F(CheckInCallTest, TheUsualCheckInWritesItsKeyOnceAlreadyAnswered) {
  for (const char* client : {"c0", "c1", "c2", "c3"}) CallCheckIn(client, std::string("r-") + client);
  // A session reports its counts when it ends (idle, only after seconds).
  store_.reset();
  pool_.reset();
  ASSERT_TRUE(::iop::testing::Eventually(
      [&] { return Count("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'") == 4; }));
  EXPECT_EQ(Count("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'"), 1)
      << "only the first check-in (its program's rules not yet stored) answered in a second write";
}

TEST_F(CheckInCallTest, ARetryGetsTheFirstAnswerAndWritesNothing) {
  CallCheckIn("c0", "r0");
  auto first = CallCheckIn("c1", "r1");
  auto retry = CallCheckIn("c1", "r1");
  EXPECT_FALSE(retry.fresh);
  EXPECT_TRUE(MessageDifferencer::Equals(first.response, retry.response)) << retry.response.DebugString();
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
  EXPECT_EQ(AuditEventsNaming(first.response.id()), 2) << "one event per call served, the replay's too";
}

// The one statement inserts the record before it finds the key taken; the
// whole of it rolls back, and the general path refuses the reused id.
TEST_F(CheckInCallTest, ARequestIdReusedForAnotherClientLeavesNoRecord) {
  CallCheckIn("c0", "r0");
  CallCheckIn("c1", "r1");
  EXPECT_EQ(CodeOf([&] { CallCheckIn("c2", "r1"); }), grpc::StatusCode::INVALID_ARGUMENT)
      << "a reused request_id was accepted";
  EXPECT_TRUE(store_->History(caller_, "s1", "c2").empty());
  EXPECT_EQ(Count("SELECT count(*) FROM attendance_records WHERE client_id = 'c2'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE outcome = 'OK'"), 2);
}

TEST_F(CheckInCallTest, ASecondCheckInIsRefusedWithNothingWritten) {
  CallCheckIn("c0", "r0");
  auto first = CallCheckIn("c1", "r1");
  EXPECT_EQ(CodeOf([&] { CallCheckIn("c1", "r2"); }), grpc::StatusCode::ALREADY_EXISTS)
      << "a second check-in was accepted";
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys WHERE request_id = 'r2'"), 0);
  EXPECT_EQ(AuditEventsNaming(first.response.id()), 1);
}

// Batches as the group commit hands them to the store.
class FirstCheckInBatchTest : public CheckInCallTest {
 protected:
  void SetUp() override { CallCheckIn("c0", "r0"); }  // the program's rules are stored

  // A check-in prepared as CheckIn prepares it, with its call's audit event.
  FirstCheckIn First(const std::string& client, const std::string& request_id, int mood = 7) {
    audit::CallAudit call({.org = "orgA", .subject = "front-desk", .roles = {"staff"}, .method = "CheckIn"},
                          touched_, detail_);
    v1::CheckInRequest req;
    req.set_session_id(session_.session_id);
    req.set_client_id(client);
    req.set_request_id(request_id);
    auto c = store_->FirstCheckInOf(caller_, session_, client, mood, session_.start + absl::Minutes(mood),
                                    {"CheckIn", req, request_id});
    EXPECT_TRUE(c.has_value());
    return c.value_or(FirstCheckIn{});
  }

  std::vector<FirstCheckIn> Write(std::vector<FirstCheckIn> batch) {
    std::vector<FirstCheckIn*> items;
    for (FirstCheckIn& c : batch) items.push_back(&c);
    store_->WriteFirstCheckIns(items);
    return batch;
  }

  // How often the store's pool ran `op` (its duration histogram's count).
  double Ran(const std::string& op) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "iop_db_query_duration_seconds") continue;
      for (const auto& m : family.metric) {
        for (const auto& l : m.label) {
          if (l.name == "op" && l.value == op) return static_cast<double>(m.histogram.sample_count);
        }
      }
    }
    return 0;
  }

  // iop_attendance_checkin_batch_size: {batches, check-ins in them}.
  std::pair<double, double> Batches() {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "iop_attendance_checkin_batch_size") continue;
      const auto& h = family.metric.at(0).histogram;
      return {static_cast<double>(h.sample_count), h.sample_sum};
    }
    return {-1, -1};
  }

  std::int64_t KeysNamed(const std::string& request_id) {
    return Count("SELECT count(*) FROM idempotency_keys WHERE request_id = '" + request_id + "'");
  }
};

TEST_F(FirstCheckInBatchTest, EveryCheckInOfTheBatchIsStoredAsAnsweredWithItsKeyAndEvent) {
  auto batch = Write({First("c1", "r1", 1), First("c2", "r2", 2), First("c3", "r3", 3)});
  EXPECT_EQ(Ran("CheckIn batch"), 1) << "one statement, committed as it ended";
  EXPECT_EQ(Ran("CheckIn batch retry"), 0);
  for (const FirstCheckIn& c : batch) {
    const std::string& client = c.record.client_id();
    EXPECT_TRUE(c.written) << client;
    auto history = store_->History(caller_, "s1", client);
    ASSERT_EQ(history.size(), 1u) << client;
    EXPECT_TRUE(MessageDifferencer::Equals(history[0], c.record))
        << history[0].DebugString() << " vs answered " << c.record.DebugString();
    EXPECT_EQ(AuditEventsNaming(c.record.id()), 1) << client;
  }
  // A retry of one of them is answered from its stored key.
  auto retry = CallCheckIn("c2", "r2");
  EXPECT_FALSE(retry.fresh);
  EXPECT_TRUE(MessageDifferencer::Equals(retry.response, batch[1].record)) << retry.response.DebugString();
  EXPECT_EQ(store_->SessionRecords(caller_, "s1").size(), 4u);
}

TEST_F(FirstCheckInBatchTest, ACheckInWhoseRecordOrKeyExistsIsLeftOutAndTheRestWritten) {
  CallCheckIn("c1", "r1");
  auto batch = Write({First("c2", "r2"), First("c1", "r3"), First("c3", "r1"), First("c4", "r4")});
  // The statement alone refused itself; in a transaction it named the two
  // and rolled back, and the next wrote the rest.
  EXPECT_EQ(Ran("CheckIn batch retry"), 2);
  EXPECT_TRUE(batch[0].written);
  EXPECT_FALSE(batch[1].written) << "c1 has a record";
  EXPECT_FALSE(batch[2].written) << "r1 was used";
  EXPECT_TRUE(batch[3].written);
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
  EXPECT_EQ(KeysNamed("r3"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM attendance_records WHERE client_id = 'c3'"), 0);
  EXPECT_EQ(AuditEventsNaming(batch[1].record.id()) + AuditEventsNaming(batch[2].record.id()), 0);
  EXPECT_EQ(AuditEventsNaming(batch[0].record.id()) + AuditEventsNaming(batch[3].record.id()), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events"), 4) << "c0, c1 and the two written";
  // Batches count what they wrote: c1 alone, then the two.
  EXPECT_EQ(Batches(), std::make_pair(2.0, 3.0));
}

TEST_F(FirstCheckInBatchTest, ACheckInWithoutARequestIdIsWrittenWithNoKey) {
  auto batch = Write({First("c1", ""), First("c2", "r2"), First("c3", "")});
  for (const FirstCheckIn& c : batch) {
    EXPECT_TRUE(c.written) << c.record.client_id();
    EXPECT_EQ(store_->History(caller_, "s1", c.record.client_id()).size(), 1u) << c.record.client_id();
    EXPECT_EQ(AuditEventsNaming(c.record.id()), 1) << c.record.client_id();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys"), 2) << "r0 and r2 only";
  // Without a key nothing tells a retry from a second check-in: refused.
  EXPECT_FALSE(Write({First("c1", "")})[0].written);
  EXPECT_EQ(CodeOf([&] { CallCheckIn("c1", ""); }), grpc::StatusCode::ALREADY_EXISTS)
      << "a second check-in was accepted";
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
}

TEST_F(FirstCheckInBatchTest, RepeatsWithinOneBatchAreLeftToTheGeneralPath) {
  auto batch = Write({First("c1", "r1"), First("c1", "r2"), First("c2", "r1"), First("c3", "r3")});
  EXPECT_TRUE(batch[0].written);
  EXPECT_FALSE(batch[1].written) << "same record as the first";
  EXPECT_FALSE(batch[2].written) << "same request_id as the first";
  EXPECT_TRUE(batch[3].written);
  EXPECT_EQ(KeysNamed("r2"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM attendance_records WHERE client_id = 'c2'"), 0);
}

TEST_F(FirstCheckInBatchTest, ABatchThatFailsWritesNothingAndEachCheckInFallsBack) {
  // A rating outside the table's range (the API refuses it first) fails the statement.
  auto batch = Write({First("c1", "r1"), First("c2", "r2", 11)});
  EXPECT_FALSE(batch[0].written);
  EXPECT_FALSE(batch[1].written);
  EXPECT_EQ(Count("SELECT count(*) FROM attendance_records"), 1) << "only c0";
  EXPECT_EQ(KeysNamed("r1") + KeysNamed("r2"), 0);
  EXPECT_TRUE(CallCheckIn("c1", "r1").fresh) << "the sound one then goes the general way";
}

// After a database restart every pooled connection is dead, and a batch
// sent on one cannot tell whether it was written: it is found out on a
// fresh connection instead of failing its callers.
TEST_F(FirstCheckInBatchTest, ABatchSentOnADeadConnectionIsWrittenOnAFreshOne) {
  Count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  auto batch = Write({First("c1", "r1"), First("c2", "r2")});
  EXPECT_TRUE(batch[0].written);
  EXPECT_TRUE(batch[1].written);
  EXPECT_EQ(Ran("CheckIn batch retry"), 1);
  EXPECT_EQ(store_->History(caller_, "s1", "c1").size(), 1u);
  EXPECT_EQ(store_->History(caller_, "s1", "c2").size(), 1u);
  EXPECT_EQ(KeysNamed("r1") + KeysNamed("r2"), 2);
}

// Two batches writing the same records must take them in one order, or each
// could hold a record the other waits for. Another transaction holds c2; a
// batch handed [c2, c1] must have written c1 before it waits for c2.
TEST_F(FirstCheckInBatchTest, ABatchWritesItsRecordsInKeyOrder) {
  pqxx::connection holder(db_.url());
  pqxx::work held(holder);
  held.exec(
      "INSERT INTO attendance_records (org_id, session_id, client_id, group_id, site_id, program_id,"
      " local_date, session_start, session_end, time_zone, status, recorded_by)"
      " VALUES ('orgA', 's1', 'c2', 'g1', 'site1', 'p1', '2024-03-11', now(), now() + interval '3 hours',"
      " 'America/New_York', 2, 'someone')");
  std::vector<FirstCheckIn> batch = {First("c2", "r2"), First("c1", "r1")};
  std::thread writer([&] {
    std::vector<FirstCheckIn*> items = {&batch[0], &batch[1]};
    store_->WriteFirstCheckIns(items);
  });
  ASSERT_TRUE(::iop::testing::Eventually([&] {
    return Count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                 " AND wait_event_type = 'Lock' AND query LIKE '%attendance_records%'") == 1;
  })) << "the batch never waited for c2";
  // c1 is taken by the waiting batch: writing it elsewhere has to wait too.
  pqxx::connection probe(db_.url());
  pqxx::work probing(probe);
  probing.exec("SET LOCAL lock_timeout = '200ms'");
  EXPECT_THROW(probing.exec(
                   "INSERT INTO attendance_records (org_id, session_id, client_id, group_id, site_id,"
                   " program_id, local_date, session_start, session_end, time_zone, status, recorded_by)"
                   " VALUES ('orgA', 's1', 'c1', 'g1', 'site1', 'p1', '2024-03-11', now(),"
                   " now() + interval '3 hours', 'America/New_York', 2, 'someone')"
                   " ON CONFLICT DO NOTHING"),
               pqxx::sql_error)
      << "c1 was not written before c2";
  probing.abort();
  held.abort();  // c2 is free again: the batch goes on and writes both
  writer.join();
  EXPECT_TRUE(batch[0].written);
  EXPECT_TRUE(batch[1].written);
}

// Through CheckIn, from many threads at once: the group commit batches them.
TEST_F(FirstCheckInBatchTest, ConcurrentCheckInsAndRetriesAreEachWrittenOnce) {
  constexpr int kClients = 24, kRetries = 8;
  std::vector<Written<v1::AttendanceRecord>> answers(kClients + kRetries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients + kRetries; ++i) {
    threads.emplace_back([&, i] {
      // The retries all carry one request_id for one client.
      const bool retry = i >= kClients;
      const std::string client = retry ? "cx" : "c" + std::to_string(i + 1);
      answers[i] = CallCheckIn(client, retry ? "rx" : "r" + std::to_string(i + 1));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(answers[i].fresh) << i;
    EXPECT_EQ(store_->History(caller_, "s1", answers[i].response.client_id()).size(), 1u) << i;
    EXPECT_EQ(AuditEventsNaming(answers[i].response.id()), 1) << i;
  }
  int fresh = 0;
  for (int i = kClients; i < kClients + kRetries; ++i) {
    fresh += answers[i].fresh ? 1 : 0;
    EXPECT_TRUE(MessageDifferencer::Equals(answers[i].response, answers[kClients].response))
        << answers[i].response.DebugString();
  }
  EXPECT_EQ(fresh, 1) << "one of the retries wrote, the others were answered from its key";
  EXPECT_EQ(store_->History(caller_, "s1", "cx").size(), 1u);
  EXPECT_EQ(AuditEventsNaming(answers[kClients].response.id()), kRetries);
  EXPECT_EQ(Count("SELECT count(*) FROM attendance_records"), 1 + kClients + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys"), 1 + kClients + 1);
}

}  // namespace
}  // namespace iop::attendance::store
