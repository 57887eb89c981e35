// A group cohort with the real scheduling service in-process: members come
// from real enrollments, and a client outside the group does not count.
#include <gtest/gtest.h>

#include <cmath>

#include "common/sql.h"
#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "outcomes/app.h"
#include "scheduling/app.h"
#include "support/service_harness.h"

namespace iop::outcomes {
namespace {

namespace v1 = ::iop::outcomes::v1;
namespace sched = ::iop::scheduling::v1;
using iop::testing::Token;
using iop::testing::WithToken;

template <class Resp, class Stub, class Req, class Fn>
Resp Must(Stub& stub, Fn fn, const Req& req, const std::string& token) {
  Resp out;
  grpc::Status s = (stub.*fn)(WithToken(token).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

google::protobuf::Timestamp Utc(int day, int hour) {
  return sql::TimestampFromMicros(absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 11, day, hour, 0, 0), absl::UTCTimeZone())));
}

TEST(RealSchedulingCohortTest, GroupMembersComeFromEnrollment) {
  iop::testing::InProcess<scheduling::SchedulingApp> scheduling("out_real_sched");
  iop::testing::ScratchDatabase db("out_real");
  config::Config cfg = iop::testing::TestConfig("outcomes", db.url(), iop::testing::RedisUrl());
  cfg.scheduling_addr = "127.0.0.1:" + std::to_string(scheduling.port());
  auto app = std::make_unique<OutcomesApp>(cfg);
  app->runtime().Start();
  auto out_stub = v1::OutcomesService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(app->runtime().port()), grpc::InsecureChannelCredentials()));
  auto sched_stub = sched::SchedulingService::NewStub(scheduling.Channel());
  const std::string admin = Token("org-real-cohort", "admin");

  sched::CreateSiteRequest site_req;
  site_req.mutable_site()->set_display_name("Riverside Clinic");
  site_req.mutable_site()->set_time_zone("America/New_York");
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
  g->set_display_name("CBT Group");
  g->set_modality(iop::common::v1::MODALITY_CBT);
  g->mutable_recurrence()->add_weekdays(iop::common::v1::WEEKDAY_TUESDAY);
  g->mutable_recurrence()->set_start_local_time("10:00");
  g->mutable_recurrence()->set_duration_minutes(120);
  g->mutable_recurrence()->set_starts_on("2026-11-02");
  auto group = Must<sched::Group>(*sched_stub, &sched::SchedulingService::Stub::CreateGroup, group_req, admin);

  // PHQ-9 baseline → latest: three members (19→7 recovered, 14→9 no reliable
  // change, 20→22) and one client who is not in the group (10→4).
  const std::vector<std::pair<std::vector<int>, std::vector<int>>> scores = {
      {{3, 3, 3, 3, 3, 2, 2, 0, 0}, {1, 1, 1, 1, 1, 1, 1, 0, 0}},
      {{3, 3, 3, 3, 2, 0, 0, 0, 0}, {2, 2, 2, 2, 1, 0, 0, 0, 0}},
      {{3, 3, 3, 3, 3, 3, 2, 0, 0}, {3, 3, 3, 3, 3, 3, 3, 1, 0}},
      {{2, 2, 2, 2, 2, 0, 0, 0, 0}, {1, 1, 1, 1, 0, 0, 0, 0, 0}},
  };
  for (size_t i = 0; i < scores.size(); ++i) {
    sched::CreateClientRequest c;
    c.mutable_client()->set_display_name("Client " + std::to_string(i));
    c.mutable_client()->set_age_group(sched::AGE_GROUP_ADULT);
    c.mutable_client()->set_site_id(site.id());
    auto client = Must<sched::Client>(*sched_stub, &sched::SchedulingService::Stub::CreateClient, c, admin);
    if (i < 3) {
      sched::EnrollClientRequest e;
      e.set_group_id(group.id());
      e.set_client_id(client.id());
      e.set_start_date("2026-11-03");
      Must<sched::Membership>(*sched_stub, &sched::SchedulingService::Stub::EnrollClient, e, admin);
    }
    for (int k = 0; k < 2; ++k) {
      v1::SubmitAssessmentRequest a;
      a.set_client_id(client.id());
      a.set_instrument_code("PHQ-9");
      for (int x : k == 0 ? scores[i].first : scores[i].second) a.add_answers(x);
      *a.mutable_administered_at() = Utc(k == 0 ? 3 : 20, 15);
      Must<v1::Assessment>(*out_stub, &v1::OutcomesService::Stub::SubmitAssessment, a, admin);
    }
  }

  v1::GetCohortOutcomesRequest req;
  req.set_group_id(group.id());
  req.set_instrument_code("PHQ-9");
  req.set_start_date("2026-11-01");
  req.set_end_date("2026-11-25");
  auto r = Must<v1::GetCohortOutcomesResponse>(*out_stub, &v1::OutcomesService::Stub::GetCohortOutcomes, req, admin);
  EXPECT_EQ(r.clients_measured(), 3);
  EXPECT_DOUBLE_EQ(r.mean_baseline(), 53.0 / 3);
  EXPECT_DOUBLE_EQ(r.mean_latest(), 38.0 / 3);
  EXPECT_DOUBLE_EQ(r.mean_change(), -5);
  EXPECT_DOUBLE_EQ(r.share_reliably_improved(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.share_recovered(), 1.0 / 3);
  EXPECT_NEAR(r.effect_size(), -5 / std::sqrt(31.0 / 3), 1e-9);

  // Another org's token sees no such group.
  v1::GetCohortOutcomesResponse other;
  EXPECT_EQ(out_stub->GetCohortOutcomes(WithToken(Token("org-elsewhere", "admin")).get(), req, &other).error_code(),
            grpc::StatusCode::NOT_FOUND);
  app.reset();
}

}  // namespace
}  // namespace iop::outcomes
