// Submitting, scoring, progress and readiness through the real gRPC API with
// real PostgreSQL and Redis.
#include <cmath>

#include "outcomes/api/outcomes_fixture.h"

namespace iop::outcomes::testing {
namespace {

double Round2(double v) { return std::round(v * 100) / 100; }

TEST_F(OutcomesTest, SubmitScoresBandsAndOpensAlertForItemNine) {
  const std::string client = NewClient("maria");
  v1::Assessment a = MustSubmit(client, "PHQ-9", {3, 3, 2, 2, 2, 2, 1, 1, 2});
  EXPECT_FALSE(a.id().empty());
  EXPECT_DOUBLE_EQ(a.total_score(), 18);
  EXPECT_EQ(a.severity(), "moderately severe");
  EXPECT_FALSE(a.acute());
  EXPECT_EQ(std::vector<int>(a.critical_items().begin(), a.critical_items().end()), std::vector<int>{9});
  ASSERT_EQ(a.risk_alert_ids_size(), 1);
  EXPECT_EQ(a.site_id(), org_ + "-site");
  EXPECT_EQ(a.submitted_by(), "tester");

  v1::GetAssessmentRequest get;
  get.set_id(a.id());
  v1::Assessment got;
  ASSERT_TRUE(stub_->GetAssessment(WithToken(admin_).get(), get, &got).ok());
  EXPECT_EQ(got.risk_alert_ids(0), a.risk_alert_ids(0));
  EXPECT_EQ(got.answers_size(), 9);

  v1::ListRiskAlertsRequest list;
  list.set_client_id(client);
  v1::ListRiskAlertsResponse alerts;
  ASSERT_TRUE(stub_->ListRiskAlerts(WithToken(admin_).get(), list, &alerts).ok());
  ASSERT_EQ(alerts.risk_alerts_size(), 1);
  EXPECT_EQ(alerts.risk_alerts(0).severity(), v1::RISK_SEVERITY_HIGH);
  EXPECT_EQ(alerts.risk_alerts(0).item_number(), 9);
  EXPECT_EQ(alerts.risk_alerts(0).reason(), "PHQ-9 item 9 answered 2: thoughts of self-harm");
}

TEST_F(OutcomesTest, InvalidAnswerShapesNameTheItem) {
  const std::string client = NewClient("john");
  struct Case {
    std::vector<int> answers;
    std::string field;
  };
  std::vector<int> high(9, 0), negative(9, 0);
  high[8] = 4;
  negative[2] = -1;
  for (const auto& c : std::vector<Case>{{std::vector<int>(8, 0), "answers"},
                                         {std::vector<int>(10, 0), "answers[9]"},
                                         {high, "answers[8]"},
                                         {negative, "answers[2]"},
                                         {{}, "answers"}}) {
    v1::Assessment out;
    grpc::Status s = Submit(admin_, client, "PHQ-9", c.answers, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(s.error_message().find(c.field + ":"), std::string::npos) << s.error_message();
  }
  v1::Assessment out;
  EXPECT_EQ(Submit(admin_, client, "NOPE-1", Phq9(3), &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Submit(admin_, "", "PHQ-9", Phq9(3), &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Submit(admin_, org_ + "-ghost", "PHQ-9", Phq9(3), &out).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SubmitAssessmentRequest future;
  future.set_client_id(client);
  future.set_instrument_code("PHQ-9");
  for (int a : Phq9(3)) future.add_answers(a);
  future.mutable_administered_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(10)));
  grpc::Status s = stub_->SubmitAssessment(WithToken(admin_).get(), future, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("administered_at"), std::string::npos);
}

TEST_F(OutcomesTest, WorkedRciExamplesComeOutExactly) {
  const std::string recovered = NewClient("a");
  const std::string unchanged = NewClient("b");
  // Submitted out of time order: the series follows administered_at.
  MustSubmit(recovered, "PHQ-9", Phq9(7), 20);
  MustSubmit(recovered, "PHQ-9", Phq9(19), 2);
  MustSubmit(recovered, "PHQ-9", Phq9(12), 10);
  MustSubmit(unchanged, "PHQ-9", Phq9(14), 3);
  MustSubmit(unchanged, "PHQ-9", Phq9(9), 17);

  v1::GetClientProgressRequest req;
  req.set_client_id(recovered);
  req.set_instrument_code("PHQ-9");
  v1::GetClientProgressResponse p;
  ASSERT_TRUE(stub_->GetClientProgress(WithToken(admin_).get(), req, &p).ok());
  ASSERT_EQ(p.points_size(), 3);
  EXPECT_DOUBLE_EQ(p.points(0).score(), 19);
  EXPECT_DOUBLE_EQ(p.points(1).score(), 12);
  EXPECT_DOUBLE_EQ(p.baseline_score(), 19);
  EXPECT_DOUBLE_EQ(p.latest_score(), 7);
  EXPECT_DOUBLE_EQ(p.change(), -12);
  EXPECT_EQ(Round2(p.reliable_change_index()), -4.19);
  EXPECT_EQ(p.category(), v1::CHANGE_CATEGORY_RELIABLY_IMPROVED);
  EXPECT_TRUE(p.clinically_significant());

  req.set_client_id(unchanged);
  ASSERT_TRUE(stub_->GetClientProgress(WithToken(admin_).get(), req, &p).ok());
  EXPECT_DOUBLE_EQ(p.change(), -5);
  EXPECT_EQ(Round2(p.reliable_change_index()), -1.75);
  EXPECT_EQ(p.category(), v1::CHANGE_CATEGORY_NO_RELIABLE_CHANGE);
  EXPECT_FALSE(p.clinically_significant());

  // A new score invalidates the cached series.
  MustSubmit(unchanged, "PHQ-9", Phq9(3), 25);
  ASSERT_TRUE(stub_->GetClientProgress(WithToken(admin_).get(), req, &p).ok());
  EXPECT_EQ(p.points_size(), 3);
  EXPECT_DOUBLE_EQ(p.latest_score(), 3);
  EXPECT_EQ(p.category(), v1::CHANGE_CATEGORY_RELIABLY_IMPROVED);

  req.set_instrument_code("GAD-7");
  ASSERT_TRUE(stub_->GetClientProgress(WithToken(admin_).get(), req, &p).ok());
  EXPECT_EQ(p.points_size(), 0);
  EXPECT_EQ(p.category(), v1::CHANGE_CATEGORY_INSUFFICIENT_DATA);
}

TEST_F(OutcomesTest, RetryWithSameRequestIdStoresOnceAndOpensOneAlert) {
  const std::string client = NewClient("retry");
  std::vector<int> answers = Phq9(10);
  answers[8] = 1;
  v1::Assessment first, second;
  ASSERT_TRUE(Submit(admin_, client, "PHQ-9", answers, &first, 5, "req-1").ok());
  ASSERT_TRUE(Submit(admin_, client, "PHQ-9", answers, &second, 5, "req-1").ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(first.risk_alert_ids(0), second.risk_alert_ids(0));
  v1::ListRiskAlertsRequest list;
  list.set_client_id(client);
  v1::ListRiskAlertsResponse alerts;
  ASSERT_TRUE(stub_->ListRiskAlerts(WithToken(admin_).get(), list, &alerts).ok());
  EXPECT_EQ(alerts.risk_alerts_size(), 1);
  v1::GetClientProgressRequest progress;
  progress.set_client_id(client);
  progress.set_instrument_code("PHQ-9");
  v1::GetClientProgressResponse p;
  ASSERT_TRUE(stub_->GetClientProgress(WithToken(admin_).get(), progress, &p).ok());
  EXPECT_EQ(p.points_size(), 1);
  // Same request_id, different answers: refused.
  answers[0] = 0;
  EXPECT_EQ(Submit(admin_, client, "PHQ-9", answers, &second, 5, "req-1").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OutcomesTest, OtherOrgsSeeNotFound) {
  const std::string client = NewClient("private");
  std::vector<int> answers = Phq9(12);
  answers[8] = 3;
  v1::Assessment a = MustSubmit(client, "PHQ-9", answers);
  const std::string other = Token("other-" + org_, "admin");

  v1::GetAssessmentRequest get;
  get.set_id(a.id());
  v1::Assessment got;
  EXPECT_EQ(stub_->GetAssessment(WithToken(other).get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_id("no-such-id");
  EXPECT_EQ(stub_->GetAssessment(WithToken(admin_).get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::AcknowledgeRiskAlertRequest ack;
  ack.set_id(a.risk_alert_ids(0));
  v1::RiskAlert alert;
  EXPECT_EQ(stub_->AcknowledgeRiskAlert(WithToken(other).get(), ack, &alert).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::GetClientProgressRequest progress;
  progress.set_client_id(client);
  progress.set_instrument_code("PHQ-9");
  v1::GetClientProgressResponse p;
  EXPECT_EQ(stub_->GetClientProgress(WithToken(other).get(), progress, &p).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::Assessment out;
  EXPECT_EQ(Submit(other, client, "PHQ-9", Phq9(1), &out).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListRiskAlertsResponse alerts;
  ASSERT_TRUE(stub_->ListRiskAlerts(WithToken(other).get(), v1::ListRiskAlertsRequest(), &alerts).ok());
  EXPECT_EQ(alerts.risk_alerts_size(), 0);
  // A site-limited clinician of another site of the same org sees nothing either.
  const std::string elsewhere = Token(org_, "clinician", {org_ + "-other-site"});
  get.set_id(a.id());
  EXPECT_EQ(stub_->GetAssessment(WithToken(elsewhere).get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(OutcomesTest, RolesDecideWhoMayDoWhat) {
  const std::string client = NewClient("roles");
  v1::Assessment out;
  EXPECT_EQ(Submit(Token(org_, "front_desk"), client, "PHQ-9", Phq9(3), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListInstrumentsResponse list;
  EXPECT_EQ(stub_->ListInstruments(WithToken(Token(org_, "front_desk")).get(), v1::ListInstrumentsRequest(), &list)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string partner = Token(org_, "partner");
  ASSERT_TRUE(Submit(partner, client, "PHQ-9", Phq9(3), &out).ok());
  v1::GetAssessmentRequest get;
  get.set_id(out.id());
  v1::Assessment got;
  EXPECT_EQ(stub_->GetAssessment(WithToken(partner).get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->GetAssessment(WithToken(Token(org_, "clinician")).get(), get, &got).ok());
  EXPECT_EQ(stub_->GetAssessment(WithToken("").get(), get, &got).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(OutcomesTest, ReadinessFollowsHighAlertsAndAcuteBands) {
  const std::string client = NewClient("ready");
  v1::AssessGroupReadinessRequest req;
  req.set_client_id(client);
  v1::AssessGroupReadinessResponse r;
  ASSERT_TRUE(stub_->AssessGroupReadiness(WithToken(admin_).get(), req, &r).ok());
  EXPECT_EQ(r.readiness(), v1::READINESS_GROUP_READY);
  EXPECT_EQ(r.reasons_size(), 1);

  MustSubmit(client, "PHQ-9", Phq9(24), 3);  // severe: acute, item 9 at 0
  ASSERT_TRUE(stub_->AssessGroupReadiness(WithToken(admin_).get(), req, &r).ok());
  EXPECT_EQ(r.readiness(), v1::READINESS_INDIVIDUAL_FIRST);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0), "latest PHQ-9 score 24 is in an acute band (severe)");
  EXPECT_EQ(r.risk_alert_ids_size(), 0);

  MustSubmit(client, "PHQ-9", Phq9(8), 10);  // mild now
  MustSubmit(client, "C-SSRS", {1, 1, 1, 1, 0, 0}, 10);  // Q4 intent: high alert, acute level
  ASSERT_TRUE(stub_->AssessGroupReadiness(WithToken(admin_).get(), req, &r).ok());
  EXPECT_EQ(r.readiness(), v1::READINESS_INDIVIDUAL_FIRST);
  ASSERT_EQ(r.risk_alert_ids_size(), 1);
  EXPECT_EQ(r.reasons_size(), 2);  // the alert and the acute C-SSRS level

  v1::AcknowledgeRiskAlertRequest ack;
  ack.set_id(r.risk_alert_ids(0));
  v1::RiskAlert alert;
  ASSERT_TRUE(stub_->AcknowledgeRiskAlert(WithToken(admin_).get(), ack, &alert).ok());
  MustSubmit(client, "C-SSRS", {1, 0, 0, 0, 0, 0}, 12);
  ASSERT_TRUE(stub_->AssessGroupReadiness(WithToken(admin_).get(), req, &r).ok());
  EXPECT_EQ(r.readiness(), v1::READINESS_GROUP_READY);
  EXPECT_EQ(r.risk_alert_ids_size(), 0);
}

TEST_F(OutcomesTest, SchedulingDownIsUnavailable) {
  const std::string client = NewClient("down");
  scheduling().SetDown(true);
  v1::Assessment out;
  grpc::Status s = Submit(admin_, client, "PHQ-9", Phq9(3), &out);
  scheduling().SetDown(false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Submit(admin_, client, "PHQ-9", Phq9(3), &out).ok());
}

}  // namespace
}  // namespace iop::outcomes::testing
