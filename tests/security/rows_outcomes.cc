// Rows of iop.outcomes.v1.OutcomesService. Instruments are shared (built-in)
// or org-wide; assessments, progress, cohorts, alerts and readiness follow
// the client, group or site they are about.
#include <functional>
#include <stdexcept>

#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#include "security/matrix.h"

namespace iop::security {
namespace {

namespace v1 = ::iop::outcomes::v1;
using R = Reach;

constexpr unsigned kClinical = kAdmin | kClinician;
constexpr unsigned kMeasurers = kAdmin | kClinician | kPartner;

void FillInstrument(v1::Instrument* in, const std::string& request_id) {
  // One code per aim: each aim creates its own instrument.
  in->set_code("SRS-" + std::to_string(std::hash<std::string>{}(request_id) % 100000));
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
  band->set_min_score(10);
  band->set_max_score(20);
  band->set_label("high");
  in->set_reliable_change_threshold(5);
  in->set_higher_is_better(true);
}

}  // namespace

std::vector<Row> OutcomesRows() {
  auto client = [](const Place& p) { return p.client; };
  return {
      {.method = "ListInstruments", .roles = kMeasurers, .reach = R::kNothing, .client_data = false,
       .read_only = true, .request = Make<v1::ListInstrumentsRequest>([](auto&, const Build&) {})},
      {.method = "GetInstrument", .roles = kMeasurers, .reach = R::kNothing, .client_data = false,
       .read_only = true,
       .request = Make<v1::GetInstrumentRequest>([](auto& r, const Build&) { r.set_code("PHQ-9"); }),
       .note = "built-in PHQ-9"},
      {.method = "CreateInstrument", .roles = kAdmin | kClinician, .reach = R::kNothing, .client_data = false,
       .read_only = false, .request = Make<v1::CreateInstrumentRequest>([](auto& r, const Build& b) {
         FillInstrument(r.mutable_instrument(), b.request_id);
         r.set_request_id(b.request_id);
       })},
      {.method = "SubmitAssessment", .roles = kMeasurers, .reach = R::kSite, .client_data = true,
       .read_only = false, .request = Make<v1::SubmitAssessmentRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         r.set_instrument_code("GAD-7");
         for (int i = 0; i < 7; ++i) r.add_answers(1);
         *r.mutable_administered_at() = UtcAt(b.at.starts_on, 7, 15);
         r.set_request_id(b.request_id);
       }),
       .audited_id = client},
      {.method = "GetAssessment", .roles = kClinical, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::GetAssessmentRequest>([](auto& r, const Build& b) { r.set_id(b.at.assessment); }),
       .audited_id = [](const Place& p) { return p.assessment; }},
      {.method = "GetClientProgress", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetClientProgressRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         r.set_instrument_code("PHQ-9");
       }),
       .audited_id = client},
      {.method = "GetCohortOutcomes", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetCohortOutcomesRequest>([](auto& r, const Build& b) {
         r.set_group_id(b.at.group);
         r.set_instrument_code("PHQ-9");
         r.set_start_date(b.at.starts_on);
         r.set_end_date(b.at.ends_on);
       }),
       .audited_id = [](const Place& p) { return p.group; }, .note = "by group_id"},
      {.method = "ListRiskAlerts", .roles = kClinical, .reach = R::kSite, .client_data = true, .read_only = true,
       .request = Make<v1::ListRiskAlertsRequest>([](auto& r, const Build& b) { r.set_client_id(b.at.client); }),
       .audited_id = client, .note = "by client_id"},
      {.method = "AcknowledgeRiskAlert", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = false, .request = Make<v1::AcknowledgeRiskAlertRequest>([](auto& r, const Build& b) {
         r.set_id(b.at.risk_alert);
         r.set_note("safety plan reviewed");
         r.set_request_id(b.request_id);
       }),
       .audited_id = [](const Place& p) { return p.risk_alert; }},
      {.method = "AssessGroupReadiness", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = true,
       .request = Make<v1::AssessGroupReadinessRequest>([](auto& r, const Build& b) { r.set_client_id(b.at.client); }),
       .audited_id = client},
      {.method = "ListAuditEvents", .roles = kAdmin | kAuditor, .reach = R::kNothing, .client_data = true,
       .read_only = true, .request = Make<::iop::common::v1::ListAuditEventsRequest>([](auto& r, const Build&) {
         r.set_page_size(1);
       }),
       .note = "reading the audit log is itself audited (audit.proto)"},
  };
}

}  // namespace iop::security
