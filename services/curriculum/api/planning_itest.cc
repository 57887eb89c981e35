// PlanSessions, GetSessionPlan and RecordDelivery against a real scheduling
// service running in-process beside curriculum.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "common/sql.h"
#include "curriculum/api/curriculum_harness.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"

namespace iop::curriculum {
namespace {

namespace v1 = ::iop::curriculum::v1;
namespace sched = ::iop::scheduling::v1;
using iop::testing::Token;
using iop::testing::WithToken;

std::vector<std::string> Violations(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status st;
  if (!st.ParseFromString(s.error_details())) return out;
  for (const auto& any : st.details()) {
    google::rpc::PreconditionFailure pf;
    if (!any.UnpackTo(&pf)) continue;
    for (const auto& v : pf.violations()) out.push_back(v.type() + " " + v.subject());
  }
  return out;
}

class PlanningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scheduling_ = new iop::testing::InProcess<scheduling::SchedulingApp>("curr_plan_sched");
    curriculum_ = new testing::CurriculumInProcess("curr_plan",
                                                   "127.0.0.1:" + std::to_string(scheduling_->port()));
  }
  static void TearDownTestSuite() {
    delete curriculum_;
    delete scheduling_;
  }
  void SetUp() override {
    stub_ = v1::CurriculumService::NewStub(curriculum_->Channel());
    sched_ = sched::SchedulingService::NewStub(scheduling_->Channel());
    org_ = "org-" + std::to_string(next_org_++) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    admin_ = Token(org_, "admin");
  }

  template <class Req, class Resp, class Fn>
  Resp Must(Fn fn, const Req& req) {
    Resp out;
    grpc::Status s = (sched_.get()->*fn)(WithToken(admin_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // A Monday/Wednesday DBT group at a New York site, January 2030.
  sched::Group NewGroup(int minutes, const std::string& track_id = "") {
    sched::CreateSiteRequest site;
    site.mutable_site()->set_display_name("Main");
    site.mutable_site()->set_time_zone("America/New_York");
    auto s = Must<sched::CreateSiteRequest, sched::Site>(&sched::SchedulingService::Stub::CreateSite, site);
    sched::CreateProgramRequest prog;
    prog.mutable_program()->set_site_id(s.id());
    prog.mutable_program()->set_display_name("Adult IOP");
    prog.mutable_program()->set_age_group(sched::AGE_GROUP_ADULT);
    prog.mutable_program()->set_focus(sched::PROGRAM_FOCUS_MENTAL_HEALTH);
    auto p = Must<sched::CreateProgramRequest, sched::Program>(&sched::SchedulingService::Stub::CreateProgram, prog);
    sched::CreateGroupRequest g;
    g.mutable_group()->set_program_id(p.id());
    g.mutable_group()->set_display_name("DBT Skills");
    g.mutable_group()->set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
    g.mutable_group()->set_curriculum_track_id(track_id);
    auto* rec = g.mutable_group()->mutable_recurrence();
    rec->add_weekdays(iop::common::v1::WEEKDAY_MONDAY);
    rec->add_weekdays(iop::common::v1::WEEKDAY_WEDNESDAY);
    rec->set_start_local_time("10:00");
    rec->set_duration_minutes(minutes);
    rec->set_starts_on("2030-01-07");
    return Must<sched::CreateGroupRequest, sched::Group>(&sched::SchedulingService::Stub::CreateGroup, g);
  }

  grpc::Status Plan(const std::string& group, const std::string& start, const std::string& end,
                    v1::PlanSessionsResponse* out, const std::string& track = "builtin-track-dbt-skills") {
    v1::PlanSessionsRequest req;
    req.set_group_id(group);
    req.set_track_id(track);
    req.set_start_date(start);
    req.set_end_date(end);
    return stub_->PlanSessions(WithToken(admin_).get(), req, out);
  }

  static std::vector<std::string> LessonIds(const v1::PlanSessionsResponse& r) {
    std::vector<std::string> out;
    for (const auto& p : r.plans()) out.push_back(p.lesson_id());
    return out;
  }

  static iop::testing::InProcess<scheduling::SchedulingApp>* scheduling_;
  static testing::CurriculumInProcess* curriculum_;
  std::unique_ptr<v1::CurriculumService::Stub> stub_;
  std::unique_ptr<sched::SchedulingService::Stub> sched_;
  std::string org_, admin_;
  static inline int next_org_ = 0;
};

iop::testing::InProcess<scheduling::SchedulingApp>* PlanningTest::scheduling_ = nullptr;
testing::CurriculumInProcess* PlanningTest::curriculum_ = nullptr;

TEST_F(PlanningTest, PlansInOrderAcrossACancelledAndARescheduledSession) {
  sched::Group group = NewGroup(90);
  v1::PlanSessionsResponse first;
  // Two weeks: Jan 7, 9, 14, 16.
  ASSERT_TRUE(Plan(group.id(), "2030-01-07", "2030-01-20", &first).ok());
  ASSERT_EQ(first.plans_size(), 4);
  EXPECT_EQ(LessonIds(first), (std::vector<std::string>{"builtin-dbt-mindfulness-1", "builtin-dbt-mindfulness-2",
                                                         "builtin-dbt-mindfulness-3",
                                                         "builtin-dbt-emotion-regulation-1"}));
  EXPECT_EQ(first.plans(0).local_date(), "2030-01-07");
  EXPECT_EQ(first.plans(3).sequence(), 4);
  EXPECT_EQ(first.plans(0).cycle(), 1);

  // Cancel Jan 9; move Jan 14 to Jan 17 (after Jan 16).
  sched::CancelSessionRequest cancel;
  cancel.set_id(first.plans(1).session_id());
  Must<sched::CancelSessionRequest, sched::Session>(&sched::SchedulingService::Stub::CancelSession, cancel);
  sched::RescheduleSessionRequest move;
  const std::string moved = first.plans(2).session_id();
  move.set_id(moved);
  *move.mutable_start_time() = sql::TimestampFromMicros(
      absl::ToUnixMicros(absl::FromCivil(absl::CivilMinute(2030, 1, 17, 15, 0), absl::UTCTimeZone())));
  Must<sched::RescheduleSessionRequest, sched::Session>(&sched::SchedulingService::Stub::RescheduleSession, move);

  v1::PlanSessionsResponse again;
  ASSERT_TRUE(Plan(group.id(), "2030-01-07", "2030-01-20", &again).ok());
  ASSERT_EQ(again.plans_size(), 3);
  EXPECT_EQ(again.plans(0).session_id(), first.plans(0).session_id());
  EXPECT_EQ(again.plans(1).session_id(), first.plans(3).session_id());  // Jan 16
  EXPECT_EQ(again.plans(2).session_id(), moved);                        // Jan 17, same id
  EXPECT_EQ(again.plans(2).local_date(), "2030-01-17");
  EXPECT_EQ(LessonIds(again), (std::vector<std::string>{"builtin-dbt-mindfulness-1", "builtin-dbt-mindfulness-2",
                                                         "builtin-dbt-mindfulness-3"}));
  // The cancelled session lost its plan; the moved one is found under its id.
  v1::GetSessionPlanRequest get;
  get.set_session_id(first.plans(1).session_id());
  v1::SessionPlan plan;
  EXPECT_EQ(stub_->GetSessionPlan(WithToken(admin_).get(), get, &plan).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_session_id(moved);
  ASSERT_TRUE(stub_->GetSessionPlan(WithToken(admin_).get(), get, &plan).ok());
  EXPECT_EQ(plan.lesson_id(), "builtin-dbt-mindfulness-3");
  EXPECT_EQ(plan.local_date(), "2030-01-17");

  // The next range continues after the last plan before it.
  v1::PlanSessionsResponse next;
  ASSERT_TRUE(Plan(group.id(), "2030-01-21", "2030-01-21", &next).ok());
  ASSERT_EQ(next.plans_size(), 1);
  EXPECT_EQ(next.plans(0).lesson_id(), "builtin-dbt-emotion-regulation-1");
}

TEST_F(PlanningTest, DeliveredSessionKeepsItsPlanWhenPlannedAgain) {
  sched::Group group = NewGroup(90);
  v1::PlanSessionsResponse first;
  ASSERT_TRUE(Plan(group.id(), "2030-01-07", "2030-01-09", &first).ok());
  ASSERT_EQ(first.plans_size(), 2);
  v1::RecordDeliveryRequest rec;
  rec.set_session_id(first.plans(0).session_id());
  rec.add_phases_completed(v1::PHASE_KIND_CHECK_IN);
  rec.add_phases_completed(v1::PHASE_KIND_SKILL_INTRO);
  rec.set_request_id("deliver-1");
  v1::Delivery d1, d2;
  ASSERT_TRUE(stub_->RecordDelivery(WithToken(admin_).get(), rec, &d1).ok());
  EXPECT_EQ(d1.lesson_id(), "builtin-dbt-mindfulness-1");
  EXPECT_DOUBLE_EQ(d1.fidelity_score(), 0.4);
  EXPECT_EQ(d1.recorded_by(), "tester");
  ASSERT_TRUE(stub_->RecordDelivery(WithToken(admin_).get(), rec, &d2).ok());
  EXPECT_EQ(d1.id(), d2.id());
  // A phase kind outside the enum is refused.
  rec.set_request_id("deliver-2");
  rec.add_phases_completed(static_cast<v1::PhaseKind>(9));
  EXPECT_EQ(stub_->RecordDelivery(WithToken(admin_).get(), rec, &d2).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Planning again with another track leaves the delivered session alone.
  v1::PlanSessionsResponse again;
  ASSERT_TRUE(Plan(group.id(), "2030-01-07", "2030-01-09", &again, "builtin-track-cbt").ok());
  ASSERT_EQ(again.plans_size(), 2);
  EXPECT_EQ(again.plans(0).lesson_id(), "builtin-dbt-mindfulness-1");
  EXPECT_TRUE(again.plans(0).delivered());
  EXPECT_EQ(again.plans(1).lesson_id(), "builtin-cbt-foundations-1");
}

TEST_F(PlanningTest, LessonLongerThanTheSessionIsRefusedNamingTheSession) {
  sched::Group group = NewGroup(45);  // starter lessons take 60 minutes
  v1::PlanSessionsResponse out;
  grpc::Status s = Plan(group.id(), "2030-01-07", "2030-01-07", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  std::vector<std::string> v = Violations(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rfind("LESSON_TOO_LONG ", 0), 0u) << v[0];
}

TEST_F(PlanningTest, UsesTheGroupsTrackAndHidesOtherOrgsGroups) {
  sched::Group group = NewGroup(90, "builtin-track-relapse-prevention");
  v1::PlanSessionsResponse out;
  ASSERT_TRUE(Plan(group.id(), "2030-01-07", "2030-01-07", &out, "").ok());
  ASSERT_EQ(out.plans_size(), 1);
  EXPECT_EQ(out.plans(0).track_id(), "builtin-track-relapse-prevention");
  v1::PlanSessionsRequest req;
  req.set_group_id(group.id());
  req.set_start_date("2030-01-07");
  req.set_end_date("2030-01-07");
  EXPECT_EQ(stub_->PlanSessions(WithToken(Token("another-org", "admin")).get(), req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_end_date("2031-02-07");
  EXPECT_EQ(stub_->PlanSessions(WithToken(admin_).get(), req, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace iop::curriculum
