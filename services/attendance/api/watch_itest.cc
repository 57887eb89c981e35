// Live feed and failure modes: several watchers, session end, cancellation
// without leaks, server shutdown, and scheduling going away.
#include <gtest/gtest.h>

#include <thread>

#include "attendance/api/watch_reactor.h"
#include "attendance/testing/world.h"
#include "support/test_env.h"

namespace iop::attendance::testing {
namespace {

using ::iop::testing::Eventually;

struct Watcher {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::AttendanceEvent>> reader;
};

Watcher Watch(v1::AttendanceService::Stub& stub, const std::string& token, const std::string& session) {
  Watcher w;
  w.ctx = WithToken(token, 60000);
  v1::WatchSessionAttendanceRequest req;
  req.set_session_id(session);
  w.reader = stub.WatchSessionAttendance(w.ctx.get(), req);
  return w;
}

double ActiveWatchersGauge(AttendanceApp& app) { return MetricValue(app, "iop_attendance_active_watchers"); }

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeScheduling>();
    svc_ = std::make_unique<AttendanceUnderTest>(fake_->address(), "att_watch");
    stub_ = svc_->Stub();
  }
  void TearDown() override {
    svc_.reset();
    // Every reactor is gone once its server is.
    EXPECT_EQ(api::WatchReactor::Live(), 0);
  }
  std::unique_ptr<FakeScheduling> fake_;
  std::unique_ptr<AttendanceUnderTest> svc_;
  std::unique_ptr<v1::AttendanceService::Stub> stub_;
};

TEST_F(WatchTest, TwoWatchersSeeEveryEventAndLeaveNothingBehind) {
  World w(*fake_, "watch", 3);
  std::string session = w.AddSession("s-live", absl::Now() - absl::Minutes(10), 180);
  const int live_before = api::WatchReactor::Live();
  Watcher a = Watch(*stub_, w.As("front_desk"), session);
  Watcher b = Watch(*stub_, w.As("partner"), session);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 2; }));
  EXPECT_EQ(ActiveWatchersGauge(svc_->app()), 2);

  v1::AttendanceRecord r;
  ASSERT_TRUE(CheckIn(*stub_, w.As("front_desk"), session, "client-0", "in-0", &r, 6).ok());
  ASSERT_TRUE(CheckIn(*stub_, w.As("front_desk"), session, "client-0", "in-0", &r, 6).ok());  // replay: no event
  v1::RecordAttendanceResponse resp;
  ASSERT_TRUE(Record(*stub_, w.Admin(), session, {Entry("client-1", v1::ATTENDANCE_STATUS_LATE, 20)}, "", &resp).ok());
  for (Watcher* x : {&a, &b}) {
    v1::AttendanceEvent e;
    ASSERT_TRUE(x->reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_IN);
    EXPECT_EQ(e.session_id(), session);
    EXPECT_EQ(e.record().client_id(), "client-0");
    EXPECT_EQ(e.record().mood_rating(), 6);
    ASSERT_TRUE(x->reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::EVENT_KIND_STATUS_RECORDED);  // the replay sent nothing in between
    EXPECT_EQ(e.record().client_id(), "client-1");
    EXPECT_EQ(e.record().status(), v1::ATTENDANCE_STATUS_LATE);
  }
  a.ctx->TryCancel();
  EXPECT_EQ(a.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));
  // The other watcher still gets events.
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), session, "client-2", "", &r).ok());
  v1::AttendanceEvent e;
  ASSERT_TRUE(b.reader->Read(&e));
  EXPECT_EQ(e.record().client_id(), "client-2");
  b.ctx->TryCancel();
  EXPECT_EQ(b.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return api::WatchReactor::Live() == live_before; }));
  EXPECT_EQ(svc_->app().hub().watchers(), 0u);
  EXPECT_EQ(ActiveWatchersGauge(svc_->app()), 0);
}

TEST_F(WatchTest, SessionEndIsAnnouncedAndTheStreamEnds) {
  World w(*fake_, "ending", 1);
  // A session that ends about a second from now.
  const std::string session = "s-ending";
  sched::Session s;
  s.set_id(session);
  s.set_group_id(w.group);
  s.set_site_id(w.site);
  s.set_program_id(w.program);
  *s.mutable_start_time() = sql::TimestampFromMicros(absl::ToUnixMicros(absl::Now() - absl::Minutes(60)));
  *s.mutable_end_time() = sql::TimestampFromMicros(absl::ToUnixMicros(absl::Now() + absl::Seconds(1)));
  s.set_local_date("2024-01-01");
  s.set_status(sched::SESSION_STATUS_SCHEDULED);
  fake_->Put(w.org, s);
  const int live_before = api::WatchReactor::Live();
  Watcher x = Watch(*stub_, w.Admin(), session);
  v1::AttendanceEvent e;
  ASSERT_TRUE(x.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_SESSION_ENDED);
  EXPECT_FALSE(e.has_record());
  // Then the stream ends by itself, cleanly, and the reactor is gone.
  EXPECT_FALSE(x.reader->Read(&e));
  EXPECT_TRUE(x.reader->Finish().ok());
  EXPECT_TRUE(Eventually([&] { return api::WatchReactor::Live() == live_before; }));
}

TEST_F(WatchTest, UnknownSessionsAndForeignOrgsAreNotFound) {
  World w(*fake_, "nowatch", 1);
  std::string session = w.AddSession("s-x", absl::Now(), 60);
  Watcher missing = Watch(*stub_, w.Admin(), "no-such-session");
  v1::AttendanceEvent e;
  EXPECT_FALSE(missing.reader->Read(&e));
  EXPECT_EQ(missing.reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  Watcher foreign = Watch(*stub_, Token(UniqueOrg("foreign"), "admin"), session);
  EXPECT_FALSE(foreign.reader->Read(&e));
  EXPECT_EQ(foreign.reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  Watcher auditor = Watch(*stub_, w.As("auditor"), session);
  EXPECT_FALSE(auditor.reader->Read(&e));
  EXPECT_EQ(auditor.reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Eventually([&] { return api::WatchReactor::Live() == 0; }));
}

TEST_F(WatchTest, ShutdownEndsOpenWatchesWithUnavailable) {
  World w(*fake_, "shutdown", 1);
  std::string session = w.AddSession("s-down", absl::Now(), 60);
  Watcher x = Watch(*stub_, w.Admin(), session);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));
  auto started = std::chrono::steady_clock::now();
  svc_.reset();
  // Well before the drain timeout: the hub ended the stream first.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  v1::AttendanceEvent e;
  EXPECT_FALSE(x.reader->Read(&e));
  EXPECT_EQ(x.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// Two replicas on one database: a watch on A hears what B writes, with the
// kind of each change, and each change once.
TEST_F(WatchTest, AWatchHearsChangesAnotherReplicaCommits) {
  AttendanceUnderTest replica_b(fake_->address(), *svc_);
  auto stub_b = replica_b.Stub();
  ASSERT_TRUE(Eventually([&] {
    return MetricValue(svc_->app(), "iop_attendance_change_feed_up") == 1 &&
           MetricValue(replica_b.app(), "iop_attendance_change_feed_up") == 1;
  }));
  World w(*fake_, "replicas", 2);
  std::string session = w.AddSession("s-replicas", absl::Now() - absl::Minutes(10), 180);
  Watcher on_a = Watch(*stub_, w.As("front_desk"), session);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));

  v1::AttendanceRecord in, out;
  ASSERT_TRUE(CheckIn(*stub_b, w.As("front_desk"), session, "client-0", "b-in", &in, 7).ok());
  v1::CheckOutRequest co;
  co.set_session_id(session);
  co.set_client_id("client-0");
  ASSERT_TRUE(stub_b->CheckOut(WithToken(w.Admin()).get(), co, &out).ok());
  v1::RecordAttendanceResponse resp;
  ASSERT_TRUE(Record(*stub_b, w.Admin(), session, {Entry("client-1", v1::ATTENDANCE_STATUS_ABSENT_EXCUSED)}, "",
                     &resp).ok());
  v1::AttendanceEvent e;
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_IN);
  EXPECT_EQ(e.session_id(), session);
  EXPECT_EQ(e.record().id(), in.id());
  EXPECT_EQ(e.record().version(), in.version());
  EXPECT_EQ(e.record().mood_rating(), 7);
  EXPECT_FALSE(e.record().has_check_out_time()) << "the version checked in, not a later one";
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_OUT);
  EXPECT_EQ(e.record().version(), out.version());
  EXPECT_TRUE(e.record().has_check_out_time());
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_STATUS_RECORDED);
  EXPECT_EQ(e.record().client_id(), "client-1");
  EXPECT_EQ(e.record().status(), v1::ATTENDANCE_STATUS_ABSENT_EXCUSED);
  // A's own write reaches A's watcher once, though A hears it twice.
  v1::AttendanceRecord own;
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), session, "client-1", "", &own).ok());
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_IN);
  EXPECT_EQ(e.record().client_id(), "client-1");
  EXPECT_EQ(e.record().version(), own.version());
  // No copy of it follows: the next event is the check-out.
  v1::AttendanceRecord last;
  v1::CheckOutRequest co1;
  co1.set_session_id(session);
  co1.set_client_id("client-1");
  ASSERT_TRUE(stub_b->CheckOut(WithToken(w.Admin()).get(), co1, &last).ok());
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_OUT);
  EXPECT_EQ(e.record().version(), last.version());
  on_a.ctx->TryCancel();
  EXPECT_EQ(on_a.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The feed's connection dies (a database restart, a failover) while a
// watch is open: the gauge says so, the feed comes back by itself, listens
// again for the open watch, and changes flow again.
TEST_F(WatchTest, TheChangeFeedReconnectsAfterLosingItsConnection) {
  AttendanceUnderTest replica_b(fake_->address(), *svc_);
  auto stub_b = replica_b.Stub();
  World w(*fake_, "feed-back", 1);
  std::string session = w.AddSession("s-feed", absl::Now() - absl::Minutes(10), 180);
  Watcher on_a = Watch(*stub_, w.Admin(), session);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));
  ASSERT_EQ(MetricValue(svc_->app(), "iop_attendance_change_feed_listening"), 1);
  // Both feeds must be connected before their connections are ended.
  ASSERT_TRUE(Eventually([&] { return MetricValue(replica_b.app(), "iop_attendance_change_feed_up") == 1; }));
  {
    pqxx::connection admin(svc_->database_url());
    pqxx::work tx(admin);
    auto ended = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name LIKE 'iop-attendance-changes%' AND datname = current_database()");
    tx.commit();
    ASSERT_EQ(ended.size(), 2u) << "one feed per replica, listening or not";
  }
  ASSERT_TRUE(Eventually([&] { return MetricValue(svc_->app(), "iop_attendance_change_feed_up") == 0; }));
  EXPECT_EQ(MetricValue(svc_->app(), "iop_attendance_change_feed_listening"), 0);
  ASSERT_TRUE(Eventually([&] { return MetricValue(svc_->app(), "iop_attendance_change_feed_listening") == 1; }));
  EXPECT_EQ(MetricValue(svc_->app(), "iop_attendance_change_feed_up"), 1);

  v1::AttendanceRecord in;
  ASSERT_TRUE(CheckIn(*stub_b, w.Admin(), session, "client-0", "", &in).ok());
  v1::AttendanceEvent e;
  ASSERT_TRUE(on_a.reader->Read(&e));
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_CHECKED_IN);
  EXPECT_EQ(e.record().id(), in.id());
  on_a.ctx->TryCancel();
  on_a.reader->Finish();
}

// A replica listens for other replicas' changes only while someone there
// watches: each announcement a listener hears costs the database and the
// replica work on every committed change.
TEST_F(WatchTest, AReplicaListensOnlyWhileAWatchIsOpenThere) {
  AttendanceUnderTest replica_b(fake_->address(), *svc_);
  auto stub_b = replica_b.Stub();
  auto listening = [](AttendanceApp& app) { return MetricValue(app, "iop_attendance_change_feed_listening"); };
  ASSERT_TRUE(Eventually([&] { return MetricValue(svc_->app(), "iop_attendance_change_feed_up") == 1; }));
  EXPECT_EQ(listening(svc_->app()), 0);
  World w(*fake_, "on-demand", 3);
  std::string session = w.AddSession("s-on-demand", absl::Now() - absl::Minutes(10), 180);
  v1::AttendanceRecord r;
  ASSERT_TRUE(CheckIn(*stub_b, w.Admin(), session, "client-0", "", &r).ok());

  for (const char* client : {"client-1", "client-2"}) {
    Watcher on_a = Watch(*stub_, w.Admin(), session);
    ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));
    // Subscribed means listening: the change B commits next is heard.
    EXPECT_EQ(listening(svc_->app()), 1);
    EXPECT_EQ(listening(replica_b.app()), 0) << "nobody watches on B";
    ASSERT_TRUE(CheckIn(*stub_b, w.Admin(), session, client, "", &r).ok());
    v1::AttendanceEvent e;
    ASSERT_TRUE(on_a.reader->Read(&e));
    EXPECT_EQ(e.record().client_id(), client) << "nothing from before the watch";
    on_a.ctx->TryCancel();
    EXPECT_EQ(on_a.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
    // The last watch gone, the replica stops listening.
    EXPECT_TRUE(Eventually([&] { return listening(svc_->app()) == 0; }));
  }
}

// SIGTERM takes this path (the host's drain) before any destructor runs.
TEST_F(WatchTest, TheDrainEndsOpenWatchesAtOnce) {
  World w(*fake_, "drain", 1);
  std::string session = w.AddSession("s-drain", absl::Now(), 60);
  Watcher x = Watch(*stub_, w.Admin(), session);
  ASSERT_TRUE(Eventually([&] { return svc_->app().hub().watchers() == 1; }));
  auto started = std::chrono::steady_clock::now();
  svc_->app().runtime().Shutdown();
  // The grace period is 5 s; an open watch no longer holds the drain to it.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  v1::AttendanceEvent e;
  EXPECT_FALSE(x.reader->Read(&e));
  EXPECT_EQ(x.reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(WatchTest, SchedulingDownRefusesWritesButKeepsRecordedReads) {
  World w(*fake_, "down", 2);
  std::string seen = w.AddSession("s-seen", absl::Now() - absl::Minutes(20), 180);
  std::string unseen = w.AddSession("s-unseen", absl::Now() - absl::Minutes(20), 180);
  v1::AttendanceRecord r;
  ASSERT_TRUE(CheckIn(*stub_, w.Admin(), seen, "client-0", "", &r).ok());
  fake_->Stop();

  grpc::Status s = CheckIn(*stub_, w.Admin(), unseen, "client-0", "retry-me", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(s.error_message().find("nothing was written"), std::string::npos) << s.error_message();
  v1::RecordAttendanceResponse resp;
  EXPECT_EQ(Record(*stub_, w.Admin(), unseen, {Entry("client-1", v1::ATTENDANCE_STATUS_PRESENT)}, "", &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(RecordRows(svc_->database_url(), w.org), 1);

  v1::GetSessionAttendanceRequest sreq;
  sreq.set_session_id(seen);
  v1::GetSessionAttendanceResponse sresp;
  ASSERT_TRUE(stub_->GetSessionAttendance(WithToken(w.Admin()).get(), sreq, &sresp).ok());
  bool found = false;
  for (const auto& e : sresp.entries()) found = found || (e.client_id() == "client-0" && e.status() == v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_TRUE(found);
  EXPECT_EQ(sresp.session().id(), seen);

  v1::GetAttendanceHistoryRequest hreq;
  hreq.set_session_id(seen);
  hreq.set_client_id("client-0");
  v1::GetAttendanceHistoryResponse hresp;
  ASSERT_TRUE(stub_->GetAttendanceHistory(WithToken(w.Admin()).get(), hreq, &hresp).ok());
  EXPECT_EQ(hresp.versions_size(), 1);

  v1::GetClientAttendanceRequest creq;
  creq.set_client_id("client-0");
  creq.set_start_date(absl::FormatCivilTime(absl::CivilDay(absl::ToCivilSecond(absl::Now(), w.tz)) - 7));
  creq.set_end_date(absl::FormatCivilTime(absl::CivilDay(absl::ToCivilSecond(absl::Now(), w.tz)) + 1));
  v1::GetClientAttendanceResponse cresp;
  ASSERT_TRUE(stub_->GetClientAttendance(WithToken(w.Admin()).get(), creq, &cresp).ok());
  ASSERT_EQ(cresp.records_size(), 1);
  EXPECT_EQ(cresp.summary().sessions_attended(), 1);

  v1::ListAttendanceAlertsRequest areq;
  v1::ListAttendanceAlertsResponse aresp;
  EXPECT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.Admin()).get(), areq, &aresp).ok());

  // A session nothing is known about cannot be answered.
  sreq.set_session_id(unseen);
  EXPECT_EQ(stub_->GetSessionAttendance(WithToken(w.Admin()).get(), sreq, &sresp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace iop::attendance::testing
