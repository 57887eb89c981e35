// Cohort outcomes over group, program and site scopes, the risk-alert
// lifecycle, custom instruments and metrics through the real gRPC API.
#include <cmath>

#include "outcomes/api/outcomes_fixture.h"

namespace iop::outcomes::testing {
namespace {

class CohortTest : public OutcomesTest {
 protected:
  // Group g1 (program p1): c1 19→12→7, c2 14→9, c3 20→22 (plus a score
  // before the range), c4 waitlisted (not counted), c5 left before the range,
  // c6 one score only. Group g2 (program p2, same site): c7 10→4.
  void SetUp() override {
    OutcomesTest::SetUp();
    const std::string site = org_ + "-site";
    scheduling().Put(org_, ProgramAt(org_ + "-p1", site));
    scheduling().Put(org_, ProgramAt(org_ + "-p2", site));
    scheduling().Put(org_, GroupOf(org_ + "-g1", org_ + "-p1", site));
    scheduling().Put(org_, GroupOf(org_ + "-g2", org_ + "-p2", site));
    for (const char* name : {"c1", "c2", "c3", "c6"}) Enroll(org_ + "-g1", NewClient(name), "2026-10-01");
    Enroll(org_ + "-g1", NewClient("c4"), "2026-10-01", "", sched::MEMBERSHIP_STATUS_WAITLISTED);
    Enroll(org_ + "-g1", NewClient("c5"), "2026-09-01", "2026-10-31", sched::MEMBERSHIP_STATUS_DISCHARGED);
    Enroll(org_ + "-g2", NewClient("c7"), "2026-11-02");
    MustSubmit(Id("c1"), "PHQ-9", Phq9(19), 2);
    MustSubmit(Id("c1"), "PHQ-9", Phq9(12), 9);
    MustSubmit(Id("c1"), "PHQ-9", Phq9(7), 20);
    MustSubmit(Id("c2"), "PHQ-9", Phq9(14), 3);
    MustSubmit(Id("c2"), "PHQ-9", Phq9(9), 21);
    MustSubmit(Id("c3"), "PHQ-9", Phq9(25), 1);  // before the range: not the baseline
    MustSubmit(Id("c3"), "PHQ-9", Phq9(20), 4);
    MustSubmit(Id("c3"), "PHQ-9", Phq9(22), 22);
    MustSubmit(Id("c3"), "GAD-7", {3, 3, 3, 3, 3, 3, 3}, 5);  // another instrument
    MustSubmit(Id("c4"), "PHQ-9", Phq9(27), 3);
    MustSubmit(Id("c4"), "PHQ-9", Phq9(0), 20);
    MustSubmit(Id("c5"), "PHQ-9", Phq9(27), 3);
    MustSubmit(Id("c5"), "PHQ-9", Phq9(0), 20);
    MustSubmit(Id("c6"), "PHQ-9", Phq9(10), 6);
    MustSubmit(Id("c7"), "PHQ-9", Phq9(10), 3);
    MustSubmit(Id("c7"), "PHQ-9", Phq9(4), 23);
  }
  std::string Id(const std::string& name) { return org_ + "-" + name; }

  v1::GetCohortOutcomesResponse Cohort(v1::GetCohortOutcomesRequest req) {
    req.set_instrument_code("PHQ-9");
    req.set_start_date("2026-11-02");
    req.set_end_date("2026-11-30");
    v1::GetCohortOutcomesResponse out;
    grpc::Status s = stub_->GetCohortOutcomes(WithToken(admin_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
};

TEST_F(CohortTest, GroupCohortMatchesHandComputedFigures) {
  v1::GetCohortOutcomesRequest req;
  req.set_group_id(org_ + "-g1");
  const auto r = Cohort(req);
  // Measured: c1 19→7 (recovered), c2 14→9 (no reliable change), c3 20→22.
  EXPECT_EQ(r.clients_assessed(), 4);  // c6 has one score
  EXPECT_EQ(r.clients_measured(), 3);
  EXPECT_DOUBLE_EQ(r.mean_baseline(), 53.0 / 3);
  EXPECT_DOUBLE_EQ(r.mean_latest(), 38.0 / 3);
  EXPECT_DOUBLE_EQ(r.mean_change(), -5);
  EXPECT_DOUBLE_EQ(r.share_reliably_improved(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.share_reliably_deteriorated(), 0);
  EXPECT_DOUBLE_EQ(r.share_recovered(), 1.0 / 3);
  EXPECT_NEAR(r.effect_size(), -5 / std::sqrt(31.0 / 3), 1e-9);
}

TEST_F(CohortTest, ProgramAndSiteCohortsCoverTheirGroups) {
  v1::GetCohortOutcomesRequest req;
  req.set_program_id(org_ + "-p2");
  auto r = Cohort(req);
  EXPECT_EQ(r.clients_measured(), 1);
  EXPECT_DOUBLE_EQ(r.mean_change(), -6);
  EXPECT_DOUBLE_EQ(r.share_reliably_improved(), 1);
  EXPECT_DOUBLE_EQ(r.effect_size(), 0);  // one client: no spread

  req.set_site_id(org_ + "-site");
  r = Cohort(req);
  // g1's three plus c7: baselines 19, 14, 20, 10; changes −12, −5, +2, −6.
  EXPECT_EQ(r.clients_measured(), 4);
  EXPECT_DOUBLE_EQ(r.mean_baseline(), 15.75);
  EXPECT_DOUBLE_EQ(r.mean_change(), -5.25);
  EXPECT_DOUBLE_EQ(r.share_reliably_improved(), 0.5);
  EXPECT_DOUBLE_EQ(r.share_recovered(), 0.5);  // c1 and c7 (10 → 4 crosses 8.60)
  const double sd = std::sqrt((3.25 * 3.25 + 1.75 * 1.75 + 4.25 * 4.25 + 5.75 * 5.75) / 3);
  EXPECT_NEAR(r.effect_size(), -5.25 / sd, 1e-9);
}

TEST_F(CohortTest, BadScopesAreRejected) {
  v1::GetCohortOutcomesRequest req;
  req.set_instrument_code("PHQ-9");
  req.set_start_date("2026-11-02");
  req.set_end_date("2026-11-30");
  v1::GetCohortOutcomesResponse out;
  grpc::Status s = stub_->GetCohortOutcomes(WithToken(admin_).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("scope"), std::string::npos);
  req.set_group_id("missing");
  EXPECT_EQ(stub_->GetCohortOutcomes(WithToken(admin_).get(), req, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_group_id(org_ + "-g1");
  req.set_end_date("2026-11-01");
  s = stub_->GetCohortOutcomes(WithToken(admin_).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("end_date"), std::string::npos);
  req.set_end_date("2026-11-30");
  scheduling().SetDown(true);
  s = stub_->GetCohortOutcomes(WithToken(admin_).get(), req, &out);
  scheduling().SetDown(false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(OutcomesTest, AlertLifecycleOrderAndAcknowledgeOnce) {
  const std::string client = NewClient("alerts");
  MustSubmit(client, "WHO-5", {3, 1, 3, 3, 3});                     // low
  MustSubmit(client, "C-SSRS", {0, 0, 0, 0, 0, 1});                 // moderate (Q6 lifetime)
  std::vector<int> phq = Phq9(10);
  phq[8] = 1;
  v1::Assessment high = MustSubmit(client, "PHQ-9", phq);           // high
  MustSubmit(client, "C-SSRS", {1, 1, 1, 1, 1, 0});                 // two high (Q4, Q5)

  auto list = [&](v1::ListRiskAlertsRequest req) {
    req.set_client_id(client);
    v1::ListRiskAlertsResponse out;
    EXPECT_TRUE(stub_->ListRiskAlerts(WithToken(admin_).get(), req, &out).ok());
    return out;
  };
  auto all = list({});
  ASSERT_EQ(all.risk_alerts_size(), 5);
  std::vector<v1::RiskSeverity> severities;
  for (const auto& a : all.risk_alerts()) severities.push_back(a.severity());
  EXPECT_EQ(severities, (std::vector<v1::RiskSeverity>{v1::RISK_SEVERITY_HIGH, v1::RISK_SEVERITY_HIGH,
                                                       v1::RISK_SEVERITY_HIGH, v1::RISK_SEVERITY_MODERATE,
                                                       v1::RISK_SEVERITY_LOW}));
  EXPECT_EQ(all.risk_alerts(0).id(), high.risk_alert_ids(0));  // oldest high first

  v1::AcknowledgeRiskAlertRequest ack;
  ack.set_id(high.risk_alert_ids(0));
  ack.set_note("called the client; safety plan reviewed");
  v1::RiskAlert first;
  ASSERT_TRUE(stub_->AcknowledgeRiskAlert(WithToken(Token(org_, "clinician", {}, "dr-lee")).get(), ack, &first).ok());
  EXPECT_EQ(first.state(), v1::RISK_ALERT_STATE_ACKNOWLEDGED);
  EXPECT_EQ(first.acknowledged_by(), "dr-lee");
  EXPECT_TRUE(first.has_acknowledge_time());

  ack.set_note("second look");
  v1::RiskAlert again;
  ASSERT_TRUE(stub_->AcknowledgeRiskAlert(WithToken(admin_).get(), ack, &again).ok());
  EXPECT_EQ(again.acknowledged_by(), "dr-lee");
  EXPECT_EQ(again.note(), "called the client; safety plan reviewed");
  EXPECT_EQ(again.acknowledge_time().seconds(), first.acknowledge_time().seconds());
  EXPECT_EQ(again.acknowledge_time().nanos(), first.acknowledge_time().nanos());

  all = list({});
  EXPECT_EQ(all.risk_alerts(4).id(), high.risk_alert_ids(0));  // acknowledged ones last
  EXPECT_EQ(all.risk_alerts(0).state(), v1::RISK_ALERT_STATE_OPEN);
  v1::ListRiskAlertsRequest open;
  open.set_state(v1::RISK_ALERT_STATE_OPEN);
  open.set_page_size(2);
  auto page1 = list(open);
  ASSERT_EQ(page1.risk_alerts_size(), 2);
  open.set_page_token(page1.next_page_token());
  auto page2 = list(open);
  ASSERT_EQ(page2.risk_alerts_size(), 2);
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_EQ(page2.risk_alerts(1).severity(), v1::RISK_SEVERITY_LOW);

  ack.set_note(std::string(2001, 'x'));
  EXPECT_EQ(stub_->AcknowledgeRiskAlert(WithToken(admin_).get(), ack, &again).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stub_->AcknowledgeRiskAlert(WithToken(Token(org_, "partner")).get(), ack, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(OutcomesTest, CustomInstrumentsAreValidatedScopedAndUsable) {
  v1::CreateInstrumentRequest req;
  auto* in = req.mutable_instrument();
  in->set_code("SRS-local");
  in->set_name("Session rating");
  in->mutable_scoring()->set_rule(v1::SCORING_RULE_SUM);
  for (int n = 1; n <= 2; ++n) {
    auto* item = in->add_items();
    item->set_number(n);
    item->set_text("Question " + std::to_string(n));
    item->set_min_value(0);
    item->set_max_value(10);
  }
  auto* band = in->add_bands();
  band->set_min_score(0);
  band->set_max_score(9);
  band->set_label("low");
  band = in->add_bands();
  band->set_min_score(11);
  band->set_max_score(20);
  band->set_label("high");
  in->set_reliable_change_threshold(5);
  in->set_higher_is_better(true);
  v1::Instrument out;
  grpc::Status s = stub_->CreateInstrument(WithToken(admin_).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("instrument.bands"), std::string::npos) << s.error_message();

  in->mutable_bands(1)->set_min_score(10);
  ASSERT_TRUE(stub_->CreateInstrument(WithToken(admin_).get(), req, &out).ok());
  EXPECT_EQ(out.org_id(), org_);
  EXPECT_FALSE(out.built_in());
  EXPECT_DOUBLE_EQ(out.max_total(), 20);
  EXPECT_EQ(stub_->CreateInstrument(WithToken(admin_).get(), req, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  in->set_code("PHQ-9");
  EXPECT_EQ(stub_->CreateInstrument(WithToken(admin_).get(), req, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::ListInstrumentsResponse list;
  ASSERT_TRUE(stub_->ListInstruments(WithToken(admin_).get(), v1::ListInstrumentsRequest(), &list).ok());
  std::vector<std::string> codes;
  for (const auto& i : list.instruments()) codes.push_back(i.code());
  EXPECT_EQ(codes, (std::vector<std::string>{"AUDIT-C", "C-SSRS", "DAST-10", "GAD-7", "K10", "PCL-5", "PHQ-9",
                                             "SRS-local", "WHO-5"}));
  const std::string client = NewClient("custom");
  v1::Assessment a = MustSubmit(client, "SRS-local", {4, 8});
  EXPECT_DOUBLE_EQ(a.total_score(), 12);
  EXPECT_EQ(a.severity(), "high");

  // Another org neither sees nor can use it.
  v1::GetInstrumentRequest get;
  get.set_code("SRS-local");
  v1::Instrument got;
  EXPECT_EQ(stub_->GetInstrument(WithToken(Token("x-" + org_, "admin")).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->GetInstrument(WithToken(admin_).get(), get, &got).ok());
}

}  // namespace
}  // namespace iop::outcomes::testing
