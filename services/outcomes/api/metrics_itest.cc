// Clinical metrics on /metrics: assessments counted once per stored
// assessment, and the open-alert gauge kept right across a restart.
#include "outcomes/api/outcomes_fixture.h"
#include "support/http_get.h"

namespace iop::outcomes::testing {
namespace {

class MetricsTest : public OutcomesTest {
 protected:
  double Read(const std::string& series) {
    return iop::testing::MetricValue(iop::testing::HttpGet(service_->metrics_port(), "/metrics"), series);
  }
};

TEST_F(MetricsTest, CountsAssessmentsAndTracksOpenAlertsAcrossRestart) {
  const std::string client = NewClient("metrics");
  const double open_before = Read("iop_outcomes_open_risk_alerts");
  ASSERT_GE(open_before, 0);
  double scored_before = Read("iop_outcomes_assessments_total{instrument=\"K10\"}");
  if (scored_before < 0) scored_before = 0;  // no K10 yet in this process

  std::vector<int> phq(9, 0);
  phq[8] = 2;
  v1::Assessment first, replay;
  ASSERT_TRUE(Submit(admin_, client, "PHQ-9", phq, &first, 0, "metrics-1").ok());
  ASSERT_TRUE(Submit(admin_, client, "PHQ-9", phq, &replay, 0, "metrics-1").ok());
  EXPECT_EQ(Read("iop_outcomes_open_risk_alerts"), open_before + 1);
  MustSubmit(client, "K10", std::vector<int>(10, 1));
  MustSubmit(client, "K10", std::vector<int>(10, 2));
  EXPECT_EQ(Read("iop_outcomes_assessments_total{instrument=\"K10\"}"), scored_before + 2);

  v1::Assessment second = MustSubmit(client, "C-SSRS", {1, 1, 1, 1, 0, 0});
  EXPECT_EQ(Read("iop_outcomes_open_risk_alerts"), open_before + 2);
  v1::AcknowledgeRiskAlertRequest ack;
  ack.set_id(first.risk_alert_ids(0));
  v1::RiskAlert alert;
  ASSERT_TRUE(stub_->AcknowledgeRiskAlert(WithToken(admin_).get(), ack, &alert).ok());
  EXPECT_EQ(Read("iop_outcomes_open_risk_alerts"), open_before + 1);

  service_->Restart();
  EXPECT_EQ(Read("iop_outcomes_open_risk_alerts"), open_before + 1);  // read from the database at start
}

}  // namespace
}  // namespace iop::outcomes::testing
