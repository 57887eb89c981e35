// GetClientCoverage end to end with all three services in-process: lessons
// planned by curriculum, sessions and rosters from scheduling, attendance
// recorded in attendance. A client who joins a rolling DBT group mid-module
// completes the track only when the cycle has wrapped round to the lesson
// they missed.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "attendance/app.h"
#include "common/sql.h"
#include "curriculum/api/curriculum_harness.h"
#include "iop/attendance/v1/attendance.grpc.pb.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"

namespace iop::curriculum {
namespace {

namespace v1 = ::iop::curriculum::v1;
namespace sched = ::iop::scheduling::v1;
namespace att = ::iop::attendance::v1;
using iop::testing::Token;
using iop::testing::WithToken;

// Attendance pointed at the in-process scheduling service.
class AttendanceInProcess {
 public:
  explicit AttendanceInProcess(const std::string& scheduling_addr) : db_("curr_cov_att") {
    config_ = iop::testing::TestConfig("attendance", db_.url(), iop::testing::RedisUrl());
    config_.scheduling_addr = scheduling_addr;
    app_ = std::make_unique<attendance::AttendanceApp>(config_);
    app_->runtime().Start();
  }
  int port() { return app_->runtime().port(); }

 private:
  iop::testing::ScratchDatabase db_;
  config::Config config_;
  std::unique_ptr<attendance::AttendanceApp> app_;
};

std::shared_ptr<grpc::Channel> Local(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
}

template <class Resp, class Stub, class Req, class Fn>
Resp Must(Stub& stub, Fn fn, const Req& req, const std::string& token) {
  Resp out;
  grpc::Status s = (stub.*fn)(WithToken(token).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

TEST(CoverageTest, JoiningMidModuleCompletesOnlyAfterTheCycleWraps) {
  iop::testing::InProcess<scheduling::SchedulingApp> scheduling("curr_cov_sched");
  const std::string sched_addr = "127.0.0.1:" + std::to_string(scheduling.port());
  AttendanceInProcess attendance(sched_addr);
  testing::CurriculumInProcess curriculum("curr_cov", sched_addr,
                                          "127.0.0.1:" + std::to_string(attendance.port()));
  auto sched_stub = sched::SchedulingService::NewStub(scheduling.Channel());
  auto att_stub = att::AttendanceService::NewStub(Local(attendance.port()));
  auto curr_stub = v1::CurriculumService::NewStub(curriculum.Channel());
  const std::string admin = Token("org-coverage", "admin");
  const std::string clinician = Token("org-coverage", "clinician");

  // A Monday/Wednesday DBT skills group that met all summer.
  sched::CreateSiteRequest site_req;
  site_req.mutable_site()->set_display_name("Mountain View Center");
  site_req.mutable_site()->set_time_zone("America/Denver");
  auto site = Must<sched::Site>(*sched_stub, &sched::SchedulingService::Stub::CreateSite, site_req, admin);
  sched::CreateProgramRequest prog_req;
  prog_req.mutable_program()->set_site_id(site.id());
  prog_req.mutable_program()->set_display_name("Adult Mental Health IOP");
  prog_req.mutable_program()->set_age_group(sched::AGE_GROUP_ADULT);
  prog_req.mutable_program()->set_focus(sched::PROGRAM_FOCUS_MENTAL_HEALTH);
  auto program = Must<sched::Program>(*sched_stub, &sched::SchedulingService::Stub::CreateProgram, prog_req, admin);
  sched::CreateGroupRequest group_req;
  auto* g = group_req.mutable_group();
  g->set_program_id(program.id());
  g->set_display_name("DBT Skills");
  g->set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
  g->set_curriculum_track_id("builtin-track-dbt-skills");
  g->mutable_recurrence()->add_weekdays(iop::common::v1::WEEKDAY_MONDAY);
  g->mutable_recurrence()->add_weekdays(iop::common::v1::WEEKDAY_WEDNESDAY);
  g->mutable_recurrence()->set_start_local_time("17:00");
  g->mutable_recurrence()->set_duration_minutes(90);
  g->mutable_recurrence()->set_starts_on("2026-06-01");
  g->mutable_recurrence()->set_ends_on("2026-08-31");
  auto group = Must<sched::Group>(*sched_stub, &sched::SchedulingService::Stub::CreateGroup, group_req, admin);

  sched::ListSessionsRequest list;
  list.set_group_id(group.id());
  *list.mutable_start_time() = sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(
      absl::CivilDay(2026, 6, 1), absl::UTCTimeZone())));
  *list.mutable_end_time() = sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(
      absl::CivilDay(2026, 9, 1), absl::UTCTimeZone())));
  list.set_page_size(100);
  auto sessions =
      Must<sched::ListSessionsResponse>(*sched_stub, &sched::SchedulingService::Stub::ListSessions, list, admin);
  ASSERT_GE(sessions.sessions_size(), 20);

  // Lessons in track order; the DBT track has 12 (4 modules × 3).
  v1::PlanSessionsRequest plan_req;
  plan_req.set_group_id(group.id());
  plan_req.set_start_date("2026-06-01");
  plan_req.set_end_date("2026-08-31");
  auto plans = Must<v1::PlanSessionsResponse>(*curr_stub, &v1::CurriculumService::Stub::PlanSessions, plan_req,
                                              clinician);
  ASSERT_GE(plans.plans_size(), 16);
  EXPECT_EQ(plans.plans(0).lesson_id(), plans.plans(12).lesson_id()) << "the track cycles after 12 lessons";

  // Maria joins at the 5th session: the middle of the second module.
  sched::CreateClientRequest client_req;
  client_req.mutable_client()->set_display_name("Maria S.");
  client_req.mutable_client()->set_age_group(sched::AGE_GROUP_ADULT);
  client_req.mutable_client()->set_site_id(site.id());
  auto maria = Must<sched::Client>(*sched_stub, &sched::SchedulingService::Stub::CreateClient, client_req, admin);
  sched::EnrollClientRequest enroll;
  enroll.set_group_id(group.id());
  enroll.set_client_id(maria.id());
  enroll.set_start_date(sessions.sessions(4).local_date());
  Must<sched::Membership>(*sched_stub, &sched::SchedulingService::Stub::EnrollClient, enroll, admin);

  auto coverage = [&] {
    v1::GetClientCoverageRequest req;
    req.set_client_id(maria.id());
    req.set_track_id("builtin-track-dbt-skills");
    return Must<v1::GetClientCoverageResponse>(*curr_stub, &v1::CurriculumService::Stub::GetClientCoverage, req,
                                               clinician);
  };
  auto attend = [&](int index, att::AttendanceStatus status) {
    att::RecordAttendanceRequest form;
    form.set_session_id(sessions.sessions(index).id());
    auto* e = form.add_entries();
    e->set_client_id(maria.id());
    e->set_status(status);
    e->set_minutes_attended(status == att::ATTENDANCE_STATUS_ABSENT_EXCUSED ? 0 : 90);
    Must<att::RecordAttendanceResponse>(*att_stub, &att::AttendanceService::Stub::RecordAttendance, form, clinician);
  };

  // Sessions 4..14: lessons 4..11, then the cycle restarts with 0..2. An
  // excused absence does not count as covering its lesson.
  for (int i = 4; i <= 14; ++i) attend(i, i == 7 ? att::ATTENDANCE_STATUS_ABSENT_EXCUSED : att::ATTENDANCE_STATUS_PRESENT);
  auto before = coverage();
  EXPECT_FALSE(before.complete());
  ASSERT_EQ(before.modules_size(), 4);
  EXPECT_TRUE(before.modules(0).complete());   // 0..2 in the second cycle
  EXPECT_FALSE(before.modules(1).complete());  // lesson 3 not yet, lesson 7 excused
  EXPECT_EQ(before.modules(1).lessons_attended(), 2);
  EXPECT_FALSE(before.modules(2).complete());  // lesson 7 (module 3's first) missed
  EXPECT_TRUE(before.modules(3).complete());

  // Lesson 3 comes round at session 15, lesson 7 at session 19.
  attend(15, att::ATTENDANCE_STATUS_LATE);
  auto middle = coverage();
  EXPECT_TRUE(middle.modules(1).complete());
  EXPECT_FALSE(middle.complete());
  attend(19, att::ATTENDANCE_STATUS_LEFT_EARLY);
  auto after = coverage();
  EXPECT_TRUE(after.complete());
  EXPECT_EQ(after.modules_complete(), 4);
}

}  // namespace
}  // namespace iop::curriculum
