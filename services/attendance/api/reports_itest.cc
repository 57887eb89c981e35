// Client summaries, group statistics and alerts through the API, over two
// weeks around the 2024 spring daylight-saving change in New York.
#include <gtest/gtest.h>

#include "attendance/testing/world.h"

namespace iop::attendance::testing {
namespace {

class ReportsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fake_ = new FakeScheduling();
    svc_ = new AttendanceUnderTest(fake_->address(), "att_reports");
  }
  static void TearDownTestSuite() {
    delete svc_;
    delete fake_;
  }
  void SetUp() override { stub_ = svc_->Stub(); }

  // Mon/Wed/Fri 09:00 for two weeks from 2024-03-04, a Saturday session on
  // 03-16 nobody records, and a cancelled one on 03-12.
  void Build(World& w) {
    const int days[] = {4, 6, 8, 11, 13, 15};
    for (int d : days) w.AddLocalSession("s-03-" + std::to_string(d), absl::CivilMinute(2024, 3, d, 9, 0), 180);
    w.AddLocalSession("s-03-16", absl::CivilMinute(2024, 3, 16, 10, 0), 180);
    w.AddLocalSession("s-03-12", absl::CivilMinute(2024, 3, 12, 9, 0), 180);
    fake_->Cancel(w.org, "s-03-12");
    using S = v1::AttendanceStatus;
    const S c0[] = {v1::ATTENDANCE_STATUS_PRESENT, v1::ATTENDANCE_STATUS_PRESENT, v1::ATTENDANCE_STATUS_LATE,
                    v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED, v1::ATTENDANCE_STATUS_ABSENT_EXCUSED,
                    v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED};
    for (int i = 0; i < 6; ++i) {
      v1::RecordAttendanceResponse resp;
      ASSERT_TRUE(Record(*stub_, w.Admin(), "s-03-" + std::to_string(days[i]),
                         {Entry("client-0", c0[i], c0[i] == v1::ATTENDANCE_STATUS_LATE ? 150 : 0),
                          Entry("client-1", v1::ATTENDANCE_STATUS_PRESENT)},
                         "", &resp)
                      .ok());
    }
  }

  static FakeScheduling* fake_;
  static AttendanceUnderTest* svc_;
  std::unique_ptr<v1::AttendanceService::Stub> stub_;
};

FakeScheduling* ReportsTest::fake_ = nullptr;
AttendanceUnderTest* ReportsTest::svc_ = nullptr;

TEST_F(ReportsTest, ClientSummaryCountsWeeksStreakAndBillingDays) {
  World w(*fake_, "summary", 2);
  Build(w);
  v1::GetClientAttendanceRequest req;
  req.set_client_id("client-0");
  req.set_start_date("2024-03-04");
  req.set_end_date("2024-03-17");
  v1::GetClientAttendanceResponse resp;
  ASSERT_TRUE(stub_->GetClientAttendance(WithToken(w.As("partner")).get(), req, &resp).ok());
  ASSERT_EQ(resp.records_size(), 7);  // six recorded, one UNRECORDED, the cancelled one left out
  EXPECT_EQ(resp.records(0).session_id(), "s-03-4");
  EXPECT_EQ(resp.records(6).session_id(), "s-03-16");
  EXPECT_EQ(resp.records(6).status(), v1::ATTENDANCE_STATUS_UNRECORDED);
  const auto& sum = resp.summary();
  EXPECT_EQ(sum.sessions_scheduled(), 7);
  EXPECT_EQ(sum.sessions_attended(), 3);
  EXPECT_EQ(sum.sessions_excused(), 1);
  EXPECT_EQ(sum.sessions_unexcused(), 2);
  EXPECT_EQ(sum.sessions_unrecorded(), 1);
  EXPECT_NEAR(sum.attendance_rate(), 3.0 / 7, 1e-9);
  // Excused absence on 03-13 between the two unexcused ones: streak of 2.
  EXPECT_EQ(sum.current_unexcused_streak(), 2);
  ASSERT_EQ(sum.weeks_size(), 2);
  EXPECT_EQ(sum.weeks(0).week_start(), "2024-03-04");
  EXPECT_DOUBLE_EQ(sum.weeks(0).hours_attended(), 8.5);
  EXPECT_DOUBLE_EQ(sum.weeks(0).hours_scheduled(), 9.0);
  EXPECT_DOUBLE_EQ(sum.weeks(0).min_weekly_hours(), 9.0);
  EXPECT_FALSE(sum.weeks(0).compliant());
  EXPECT_TRUE(sum.weeks(0).complete());
  EXPECT_EQ(sum.weeks(1).week_start(), "2024-03-11");
  EXPECT_DOUBLE_EQ(sum.weeks(1).hours_attended(), 0);
  EXPECT_DOUBLE_EQ(sum.weeks(1).hours_scheduled(), 12.0);
  ASSERT_EQ(sum.billing_days_size(), 3);
  EXPECT_EQ(sum.billing_days(0).local_date(), "2024-03-04");
  EXPECT_TRUE(sum.billing_days(0).qualifies());
  EXPECT_EQ(sum.billing_days(2).local_date(), "2024-03-08");
  EXPECT_EQ(sum.billing_days(2).minutes_attended(), 150);
  EXPECT_EQ(sum.billing_days(2).daily_minimum_minutes(), 180);
  EXPECT_FALSE(sum.billing_days(2).qualifies());

  req.set_end_date("2025-03-17");
  EXPECT_EQ(stub_->GetClientAttendance(WithToken(w.Admin()).get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_end_date("2024-03-01");
  EXPECT_EQ(stub_->GetClientAttendance(WithToken(w.Admin()).get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReportsTest, GroupStatsCountRosterPlacesAndEarlyDischarges) {
  World w(*fake_, "group", 2);
  w.AddClient("dropped", "2024-01-01", "2024-03-10", sched::DISCHARGE_TYPE_DROPPED_OUT);
  w.AddClient("graduate", "2024-01-01", "2024-03-05", sched::DISCHARGE_TYPE_COMPLETED);
  Build(w);
  v1::GetGroupAttendanceStatsRequest req;
  req.set_group_id(w.group);
  req.set_start_date("2024-03-04");
  req.set_end_date("2024-03-17");
  v1::GetGroupAttendanceStatsResponse resp;
  ASSERT_TRUE(stub_->GetGroupAttendanceStats(WithToken(w.Admin()).get(), req, &resp).ok());
  EXPECT_EQ(resp.sessions_counted(), 7);
  // 7 sessions × 2 clients, + 3 sessions before "dropped" left, + 1 for "graduate".
  EXPECT_NEAR(resp.mean_roster_size(), 18.0 / 7, 1e-9);
  EXPECT_NEAR(resp.attendance_rate(), 9.0 / 18, 1e-9);
  EXPECT_NEAR(resp.mean_group_size_present(), 9.0 / 7, 1e-9);
  EXPECT_EQ(resp.clients_discharged_early(), 1);
  req.set_group_id("no-such-group");
  EXPECT_EQ(stub_->GetGroupAttendanceStats(WithToken(w.Admin()).get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ReportsTest, AlertsFollowTheProgramThresholdsAndPage) {
  World w(*fake_, "alerts", 2);
  Build(w);
  v1::ListAttendanceAlertsRequest req;
  req.set_on_date("2024-03-16");
  req.set_program_id(w.program);
  v1::ListAttendanceAlertsResponse resp;
  ASSERT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.As("clinician")).get(), req, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 3) << resp.DebugString();
  EXPECT_EQ(resp.alerts(0).kind(), v1::ALERT_KIND_CONSECUTIVE_ABSENCES);
  EXPECT_EQ(resp.alerts(0).client_id(), "client-0");
  EXPECT_DOUBLE_EQ(resp.alerts(0).value(), 2);
  EXPECT_DOUBLE_EQ(resp.alerts(0).threshold(), 2);
  EXPECT_EQ(resp.alerts(0).since(), "2024-03-11");
  EXPECT_EQ(resp.alerts(1).kind(), v1::ALERT_KIND_BELOW_MIN_HOURS);
  EXPECT_DOUBLE_EQ(resp.alerts(1).value(), 8.5);
  EXPECT_EQ(resp.alerts(1).since(), "2024-03-04");
  EXPECT_EQ(resp.alerts(2).kind(), v1::ALERT_KIND_LOW_ATTENDANCE_RATE);
  EXPECT_DOUBLE_EQ(resp.alerts(2).value(), 0.5);
  EXPECT_DOUBLE_EQ(resp.alerts(2).threshold(), 0.8);

  // One kind only; and pages of two.
  req.set_kind(v1::ALERT_KIND_LOW_ATTENDANCE_RATE);
  ASSERT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.Admin()).get(), req, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 1);
  req.set_kind(v1::ALERT_KIND_UNSPECIFIED);
  req.set_page_size(2);
  ASSERT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.Admin()).get(), req, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 2);
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  ASSERT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.Admin()).get(), req, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 1);
  EXPECT_EQ(resp.alerts(0).kind(), v1::ALERT_KIND_LOW_ATTENDANCE_RATE);
  EXPECT_TRUE(resp.next_page_token().empty());

  // Before the second unexcused absence there is no streak alert.
  v1::ListAttendanceAlertsRequest early;
  early.set_on_date("2024-03-12");
  early.set_kind(v1::ALERT_KIND_CONSECUTIVE_ABSENCES);
  ASSERT_TRUE(stub_->ListAttendanceAlerts(WithToken(w.Admin()).get(), early, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 0);
  // A site the caller may not see is NOT_FOUND.
  v1::ListAttendanceAlertsRequest elsewhere;
  elsewhere.set_site_id(w.site);
  EXPECT_EQ(stub_->ListAttendanceAlerts(WithToken(w.As("clinician", {"other-site"})).get(), elsewhere, &resp)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace iop::attendance::testing
