// Attendance end to end: real gRPC server in-process, real PostgreSQL and
// Redis, an in-memory scheduling service (testing/fake_scheduling.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "attendance/testing/world.h"

namespace iop::attendance::testing {
namespace {

class AttendanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fake_ = new FakeScheduling();
    svc_ = new AttendanceUnderTest(fake_->address(), "att_api");
  }
  static void TearDownTestSuite() {
    delete svc_;
    delete fake_;
  }
  void SetUp() override { stub_ = svc_->Stub(); }

  // A session that started 30 minutes ago and runs three hours.
  std::string Ongoing(World& w, const std::string& id) {
    return w.AddSession(id, absl::Now() - absl::Minutes(30), 180);
  }

  static FakeScheduling* fake_;
  static AttendanceUnderTest* svc_;
  std::unique_ptr<v1::AttendanceService::Stub> stub_;
};

FakeScheduling* AttendanceTest::fake_ = nullptr;
AttendanceUnderTest* AttendanceTest::svc_ = nullptr;

TEST_F(AttendanceTest, RetriedCheckInWithTheSameRequestIdMakesOneRecord) {
  World w(*fake_, "retry", 3);
  std::string session = Ongoing(w, "s-retry");
  const double checkins_before = MetricValue(svc_->app(), "iop_attendance_checkins_total");
  const double present_before = MetricValue(svc_->app(), "iop_attendance_records_total", "status", "PRESENT");
  v1::AttendanceRecord first, again;
  ASSERT_TRUE(CheckIn(*stub_, w.As("front_desk"), session, "client-0", "req-1", &first, 7).ok());
  EXPECT_EQ(first.status(), v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_EQ(first.version(), 1);
  EXPECT_EQ(first.mood_rating(), 7);
  EXPECT_EQ(first.local_date(), absl::FormatCivilTime(absl::CivilDay(absl::ToCivilSecond(absl::Now() - absl::Minutes(30), w.tz))));
  EXPECT_EQ(first.site_id(), w.site);
  EXPECT_EQ(first.program_id(), w.program);
  ASSERT_TRUE(CheckIn(*stub_, w.As("front_desk"), session, "client-0", "req-1", &again, 7).ok());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(again.version(), 1);
  EXPECT_EQ(again.check_in_time().seconds(), first.check_in_time().seconds());

  // Same request_id, different request: refused.
  v1::AttendanceRecord other;
  grpc::Status s = CheckIn(*stub_, w.As("front_desk"), session, "client-1", "req-1", &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("request_id"), std::string::npos);

  // A second check-in that is not a retry (new request_id, or none) is
  // ALREADY_EXISTS and changes nothing.
  v1::AttendanceRecord repeat;
  s = CheckIn(*stub_, w.As("front_desk"), session, "client-0", "req-2", &repeat, 3);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  s = CheckIn(*stub_, w.As("front_desk"), session, "client-0", "", &repeat, 3);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("already checked in"), std::string::npos);
  ASSERT_TRUE(CheckIn(*stub_, w.As("front_desk"), session, "client-0", "req-1", &again, 7).ok());
  EXPECT_EQ(again.version(), 1);
  EXPECT_EQ(again.mood_rating(), 7);
  EXPECT_EQ(RecordRows(svc_->database_url(), w.org), 1);
  // Counted once, however many times it was asked.
  EXPECT_EQ(MetricValue(svc_->app(), "iop_attendance_checkins_total") - checkins_before, 1);
  EXPECT_EQ(MetricValue(svc_->app(), "iop_attendance_records_total", "status", "PRESENT") - present_before, 1);
}

TEST_F(AttendanceTest, ConcurrentCheckInsOfAWholeGroupLoseAndDoubleNothing) {
  constexpr int kClients = 12;
  World w(*fake_, "crowd", kClients);
  std::string session = Ongoing(w, "s-crowd");
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0}, refused{0}, failures{0};
  // Every client checks in twice at once from two desks, with two request
  // ids: exactly one desk wins, the other is told ALREADY_EXISTS.
  for (int i = 0; i < kClients; ++i) {
    for (int desk = 0; desk < 2; ++desk) {
      threads.emplace_back([&, i, desk] {
        auto stub = svc_->Stub();
        v1::AttendanceRecord r;
        grpc::Status s = CheckIn(*stub, w.As("front_desk"), session, w.clients[i],
                                 "desk-" + std::to_string(desk) + "-" + std::to_string(i), &r);
        if (s.ok() && r.status() == v1::ATTENDANCE_STATUS_PRESENT) {
          ++accepted;
        } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          ++refused;
        } else {
          ++failures;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(accepted.load(), kClients);
  EXPECT_EQ(refused.load(), kClients);
  EXPECT_EQ(RecordRows(svc_->database_url(), w.org), kClients);
  v1::GetSessionAttendanceRequest req;
  req.set_session_id(session);
  v1::GetSessionAttendanceResponse resp;
  ASSERT_TRUE(stub_->GetSessionAttendance(WithToken(w.As("partner")).get(), req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), kClients);
  std::set<std::string> seen;
  for (const auto& e : resp.entries()) {
    EXPECT_EQ(e.status(), v1::ATTENDANCE_STATUS_PRESENT);
    EXPECT_EQ(e.version(), 1) << e.client_id();
    seen.insert(e.client_id());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kClients));
}

// Batches written so far, and those of them with at most `most` check-ins.
std::pair<double, double> Batches(AttendanceApp& app, double most) {
  for (const auto& family : app.runtime().metrics().registry().Collect()) {
    if (family.name != "iop_attendance_checkin_batch_size" || family.metric.empty()) continue;
    const auto& h = family.metric[0].histogram;
    for (const auto& b : h.bucket) {
      if (b.upper_bound == most) return {static_cast<double>(h.sample_count), static_cast<double>(b.cumulative_count)};
    }
  }
  return {0, 0};
}

TEST_F(AttendanceTest, CheckInsWaitingForTheirBatchHoldNoWorker) {
  // More first check-ins than the service has workers (its pool of 4
  // connections plus 4) wait while one batch is held up in the database.
  constexpr int kClients = 24;
  constexpr double kWorkers = 8;
  World w(*fake_, "held", kClients);
  std::string session = Ongoing(w, "s-held");
  v1::AttendanceRecord r;
  // An uncommitted key of client 0's request holds its batch at the key's insert.
  pqxx::connection blocker(svc_->database_url());
  pqxx::work hold(blocker);
  hold.exec_params0("INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint) VALUES ($1, 'CheckIn', 'held-0', '')",
                    w.org);
  pqxx::connection observer(svc_->database_url());
  const auto [batches_before, small_before] = Batches(svc_->app(), kWorkers);
  std::atomic<int> ok{0}, sent{0};
  std::vector<std::thread> threads;
  auto check_in = [&](int i) {
    auto stub = svc_->Stub();
    v1::AttendanceRecord mine;
    ++sent;
    grpc::Status s = CheckIn(*stub, w.As("front_desk"), session, w.clients[i], "held-" + std::to_string(i), &mine);
    if (s.ok() && mine.status() == v1::ATTENDANCE_STATUS_PRESENT && mine.version() == 1) ++ok;
  };
  threads.emplace_back(check_in, 0);
  ASSERT_TRUE(iop::testing::Eventually([&] { return WaitingOnLocks(observer) == 1; }));
  for (int i = 1; i < kClients; ++i) threads.emplace_back(check_in, i);
  // Every worker is free again once the calls are queued for the next batch.
  EXPECT_TRUE(iop::testing::Eventually(
      [&] { return sent == kClients && svc_->app().runtime().workers().queued() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  hold.abort();  // client 0's key was never written: its batch goes on
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(RecordRows(svc_->database_url(), w.org), kClients);
  const auto [batches_after, small_after] = Batches(svc_->app(), kWorkers);
  EXPECT_LT(batches_after - batches_before, kClients / 2) << "the waiting check-ins went together";
  EXPECT_LT(small_after - small_before, batches_after - batches_before)
      << "a batch held more check-ins than there are workers";
}

TEST_F(AttendanceTest, RosterAndSessionRulesAreEnforced) {
  World w(*fake_, "rules", 2);
  std::string session = Ongoing(w, "s-rules");
  std::string future_member = w.AddClient("late-joiner", "2999-01-01");
  v1::AttendanceRecord r;
  grpc::Status s = CheckIn(*stub_, w.Admin(), session, future_member, "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), std::vector<std::string>{"NOT_ON_ROSTER clients/late-joiner"});
  s = CheckIn(*stub_, w.Admin(), session, "nobody", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = CheckIn(*stub_, w.Admin(), "no-such-session", "client-0", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = CheckIn(*stub_, w.Admin(), session, "client-0", "", &r, 11);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("mood_rating"), std::string::npos);

  std::string cancelled = Ongoing(w, "s-cancelled");
  fake_->Cancel(w.org, cancelled);
  s = CheckIn(*stub_, w.Admin(), cancelled, "client-0", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), std::vector<std::string>{"SESSION_CANCELLED sessions/s-cancelled"});

  // Check-out needs a check-in first; then it is set once.
  v1::CheckOutRequest out;
  out.set_session_id(session);
  out.set_client_id("client-1");
  s = stub_->CheckOut(WithToken(w.Admin()).get(), out, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), std::vector<std::string>{"NOT_CHECKED_IN clients/client-1"});
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), session, "client-1", "", &r).ok());
  v1::AttendanceRecord first_out, second_out;
  ASSERT_TRUE(stub_->CheckOut(WithToken(w.Admin()).get(), out, &first_out).ok());
  EXPECT_TRUE(first_out.has_check_out_time());
  EXPECT_EQ(first_out.version(), 2);
  EXPECT_EQ(first_out.status(), v1::ATTENDANCE_STATUS_PRESENT);
  ASSERT_TRUE(stub_->CheckOut(WithToken(w.Admin()).get(), out, &second_out).ok());
  EXPECT_EQ(second_out.version(), 2);
}

TEST_F(AttendanceTest, CorrectionsKeepEveryEarlierVersion) {
  World w(*fake_, "history", 3);
  std::string session = w.AddSession("s-hist", absl::Now() - absl::Hours(5), 180);
  v1::RecordAttendanceResponse resp;
  ASSERT_TRUE(Record(*stub_, w.As("clinician", {}, "dr-a"), session,
                     {Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT),
                      Entry("client-1", v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED)},
                     "form-1", &resp).ok());
  ASSERT_EQ(resp.records_size(), 2);
  EXPECT_EQ(resp.records(0).minutes_attended(), 180);  // PRESENT with 0 = whole session
  EXPECT_EQ(resp.records(1).client_id(), "client-1");

  // The absence was excused after all; the presence was really late.
  ASSERT_TRUE(Record(*stub_, w.As("clinician", {}, "dr-b"), session,
                     {Entry("client-1", v1::ATTENDANCE_STATUS_ABSENT_EXCUSED, 0, "called in sick"),
                      Entry("client-0", v1::ATTENDANCE_STATUS_LATE, 150)},
                     "form-2", &resp).ok());
  EXPECT_EQ(resp.records(0).client_id(), "client-1");  // request order
  EXPECT_EQ(resp.records(0).version(), 2);
  EXPECT_EQ(resp.records(1).version(), 2);
  // Identical entry: no new version.
  ASSERT_TRUE(Record(*stub_, w.As("clinician", {}, "dr-c"), session,
                     {Entry("client-0", v1::ATTENDANCE_STATUS_LATE, 150)}, "form-3", &resp).ok());
  EXPECT_EQ(resp.records(0).version(), 2);
  EXPECT_EQ(resp.records(0).recorded_by(), "dr-b");

  v1::GetAttendanceHistoryRequest hreq;
  hreq.set_session_id(session);
  hreq.set_client_id("client-0");
  v1::GetAttendanceHistoryResponse history;
  ASSERT_TRUE(stub_->GetAttendanceHistory(WithToken(w.Admin()).get(), hreq, &history).ok());
  ASSERT_EQ(history.versions_size(), 2);
  EXPECT_EQ(history.versions(0).status(), v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_EQ(history.versions(0).minutes_attended(), 180);
  EXPECT_EQ(history.versions(0).recorded_by(), "dr-a");
  EXPECT_EQ(history.versions(1).status(), v1::ATTENDANCE_STATUS_LATE);
  EXPECT_EQ(history.versions(1).recorded_by(), "dr-b");
  EXPECT_LE(history.versions(0).update_time().seconds(), history.versions(1).update_time().seconds());

  // The database itself refuses to rewrite or drop history.
  {
    pqxx::connection c(svc_->database_url());
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec_params("DELETE FROM attendance_record_versions WHERE org_id=$1", w.org), pqxx::sql_error);
  }
  {
    pqxx::connection c(svc_->database_url());
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec_params("DELETE FROM attendance_records WHERE org_id=$1", w.org), pqxx::sql_error);
  }

  // Front desk may not read the history; no record → NOT_FOUND.
  EXPECT_EQ(stub_->GetAttendanceHistory(WithToken(w.As("front_desk")).get(), hreq, &history).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hreq.set_client_id("client-2");
  EXPECT_EQ(stub_->GetAttendanceHistory(WithToken(w.Admin()).get(), hreq, &history).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AttendanceTest, InvalidFormsNameTheFieldAndWriteNothing) {
  World w(*fake_, "badform", 2);
  std::string session = w.AddSession("s-bad", absl::Now() - absl::Hours(5), 120);
  v1::RecordAttendanceResponse resp;
  auto expect_invalid = [&](std::vector<v1::AttendanceEntry> entries, const std::string& field) {
    grpc::Status s = Record(*stub_, w.Admin(), session, entries, "", &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(s.error_message().find(field), std::string::npos) << s.error_message();
  };
  expect_invalid({}, "entries");
  expect_invalid({Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT), Entry("client-0", v1::ATTENDANCE_STATUS_LATE)},
                 "entries[1].client_id");
  expect_invalid({Entry("client-0", v1::ATTENDANCE_STATUS_UNRECORDED)}, "entries[0].status");
  expect_invalid({Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT, 121)}, "entries[0].minutes_attended");
  expect_invalid({Entry("client-0", v1::ATTENDANCE_STATUS_ABSENT_EXCUSED, 5)}, "entries[0].minutes_attended");
  expect_invalid({Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT, 0, std::string(2001, 'x'))}, "entries[0].note");
  // A client that does not exist at all.
  grpc::Status s = Record(*stub_, w.Admin(), session,
                          {Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT), Entry("ghost-0", v1::ATTENDANCE_STATUS_PRESENT)},
                          "", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  // Not on the roster: every such client is named, nothing is written.
  w.AddClient("ghost-1", "2999-01-01");
  w.AddClient("ghost-2", "2999-01-01");
  s = Record(*stub_, w.Admin(), session,
             {Entry("ghost-1", v1::ATTENDANCE_STATUS_PRESENT), Entry("client-0", v1::ATTENDANCE_STATUS_PRESENT),
              Entry("ghost-2", v1::ATTENDANCE_STATUS_ABSENT_EXCUSED)}, "", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), (std::vector<std::string>{"NOT_ON_ROSTER clients/ghost-1", "NOT_ON_ROSTER clients/ghost-2"}));
  EXPECT_NE(s.error_message().find("ghost-2"), std::string::npos) << s.error_message();
  EXPECT_EQ(RecordRows(svc_->database_url(), w.org), 0);
}

TEST_F(AttendanceTest, SessionAttendanceListsEveryRosteredClient) {
  World w(*fake_, "roster", 3);
  std::string session = Ongoing(w, "s-roster");
  v1::AttendanceRecord r;
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), session, "client-1", "", &r).ok());
  v1::GetSessionAttendanceRequest req;
  req.set_session_id(session);
  v1::GetSessionAttendanceResponse resp;
  ASSERT_TRUE(stub_->GetSessionAttendance(WithToken(w.As("front_desk")).get(), req, &resp).ok());
  EXPECT_EQ(resp.session().id(), session);
  ASSERT_EQ(resp.entries_size(), 3);
  for (const auto& e : resp.entries()) {
    if (e.client_id() == "client-1") {
      EXPECT_EQ(e.status(), v1::ATTENDANCE_STATUS_PRESENT);
      EXPECT_FALSE(e.id().empty());
    } else {
      EXPECT_EQ(e.status(), v1::ATTENDANCE_STATUS_UNRECORDED);
      EXPECT_TRUE(e.id().empty());
      EXPECT_EQ(e.version(), 0);
    }
  }
}

TEST_F(AttendanceTest, OtherOrgsAndOtherSitesSeeNothing) {
  World w(*fake_, "tenant", 2);
  std::string session = Ongoing(w, "s-tenant");
  v1::AttendanceRecord r;
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), session, "client-0", "", &r).ok());
  const std::string stranger = Token(UniqueOrg("stranger"), "admin");
  const std::string other_site = w.As("clinician", {"site-elsewhere"});
  const std::string this_site = w.As("clinician", {w.site});

  grpc::Status s = CheckIn(*stub_, stranger, session, "client-1", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = CheckIn(*stub_, other_site, session, "client-1", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(CheckIn(*stub_, this_site, session, "client-1", "", &r).ok());

  v1::GetSessionAttendanceRequest sreq;
  sreq.set_session_id(session);
  v1::GetSessionAttendanceResponse sresp;
  EXPECT_EQ(stub_->GetSessionAttendance(WithToken(stranger).get(), sreq, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetSessionAttendance(WithToken(other_site).get(), sreq, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::GetAttendanceHistoryRequest hreq;
  hreq.set_session_id(session);
  hreq.set_client_id("client-0");
  v1::GetAttendanceHistoryResponse hresp;
  EXPECT_EQ(stub_->GetAttendanceHistory(WithToken(stranger).get(), hreq, &hresp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetAttendanceHistory(WithToken(other_site).get(), hreq, &hresp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->GetAttendanceHistory(WithToken(this_site).get(), hreq, &hresp).ok());

  v1::GetClientAttendanceRequest creq;
  creq.set_client_id("client-0");
  creq.set_start_date("2020-01-01");
  creq.set_end_date("2020-12-31");
  v1::GetClientAttendanceResponse cresp;
  EXPECT_EQ(stub_->GetClientAttendance(WithToken(stranger).get(), creq, &cresp).error_code(), grpc::StatusCode::NOT_FOUND);

  // Roles: partner reads but does not write; auditor reads nothing.
  EXPECT_EQ(CheckIn(*stub_, w.As("partner"), session, "client-1", "", &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RecordAttendanceResponse rresp;
  EXPECT_EQ(Record(*stub_, w.As("front_desk"), session, {Entry("client-0", v1::ATTENDANCE_STATUS_LATE)}, "", &rresp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetSessionAttendance(WithToken(w.As("auditor")).get(), sreq, &sresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->GetSessionAttendance(WithToken(w.As("partner")).get(), sreq, &sresp).ok());

  // Every client-data call left an audit record.
  iop::common::v1::ListAuditEventsRequest areq;
  iop::common::v1::ListAuditEventsResponse aresp;
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(w.Admin()).get(), areq, &aresp).ok());
  EXPECT_GE(aresp.audit_events_size(), 5);
}

}  // namespace
}  // namespace iop::attendance::testing
