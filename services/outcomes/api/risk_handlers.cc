// Handlers of risk alerts and group readiness.
#include "outcomes/api/outcomes_api.h"
#include "outcomes/api/validation.h"

namespace iop::outcomes::api {

using auth::Permission;
using server::Call;

ServerUnaryReactor* OutcomesApi::ListRiskAlerts(CallbackServerContext* ctx, const v1::ListRiskAlertsRequest* req,
                                                v1::ListRiskAlertsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListRiskAlerts", Permission::kOutcomesRead, true}, [=, this](Call& call) {
    call.Touch(req->client_id());
    errors::Validator v;
    v.Require(req->client_id().size() <= kMaxIdLength, "client_id", "must be at most 128 bytes");
    v.Require(req->site_id().size() <= kMaxIdLength, "site_id", "must be at most 128 bytes");
    v.Require(v1::RiskAlertState_IsValid(req->state()), "state", "is not a known state");
    v.Require(v1::RiskSeverity_IsValid(req->severity()), "severity", "is not a known severity");
    v.ThrowIfInvalid();
    if (!req->client_id().empty()) directory_.Client(call, req->client_id());
    if (!req->site_id().empty()) {
      if (!call.caller().SeesSite(req->site_id())) errors::Throw(errors::NotFound("iop.scheduling.v1.Site", req->site_id()));
      directory_.Site(call, req->site_id());
    }
    auto page = assessments_.ListAlerts(call.caller(), *req);
    for (auto& alert : page.items) {
      call.Touch(alert.id());
      *resp->add_risk_alerts() = std::move(alert);
    }
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* OutcomesApi::AcknowledgeRiskAlert(CallbackServerContext* ctx,
                                                      const v1::AcknowledgeRiskAlertRequest* req, v1::RiskAlert* resp) {
  return runner_.Unary(ctx, *req, {"AcknowledgeRiskAlert", Permission::kOutcomesManage, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "id", req->id());
    v.Require(Utf8Length(req->note()) <= kMaxNoteCharacters, "note", "must be at most 2000 characters");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    call.Touch(req->id());
    *resp = assessments_.Acknowledge(call.caller(), req->id(), req->note(),
                                     {"AcknowledgeRiskAlert", *req, req->request_id()});
    call.Touch(resp->client_id());
    metrics_.RefreshOpenAlerts();
  });
}

ServerUnaryReactor* OutcomesApi::AssessGroupReadiness(CallbackServerContext* ctx,
                                                      const v1::AssessGroupReadinessRequest* req,
                                                      v1::AssessGroupReadinessResponse* resp) {
  return runner_.Unary(ctx, *req, {"AssessGroupReadiness", Permission::kOutcomesRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "client_id", req->client_id());
    v.ThrowIfInvalid();
    call.Touch(req->client_id());
    directory_.Client(call, req->client_id());
    resp->set_client_id(req->client_id());
    for (const auto& alert : assessments_.OpenAlerts(call.caller(), req->client_id(), v1::RISK_SEVERITY_HIGH)) {
      resp->add_risk_alert_ids(alert.id());
      resp->add_reasons("open high-severity risk alert from " + alert.instrument_code() + " item " +
                        std::to_string(alert.item_number()) + " (" + alert.reason() + ")");
    }
    const auto latest = assessments_.LatestPerInstrument(call.caller(), req->client_id());
    for (const auto& score : latest) {
      if (!score.acute) continue;
      std::string total = std::to_string(score.total_score);
      total.erase(total.find_last_not_of('0') + 1);
      if (!total.empty() && total.back() == '.') total.pop_back();
      resp->add_reasons("latest " + score.instrument_code + " score " + total + " is in an acute band (" +
                        score.severity + ")");
    }
    if (resp->reasons_size() > 0) {
      resp->set_readiness(v1::READINESS_INDIVIDUAL_FIRST);
    } else {
      resp->set_readiness(v1::READINESS_GROUP_READY);
      resp->add_reasons("no open high-severity risk alert; latest scores on " + std::to_string(latest.size()) +
                        " instrument(s) are outside acute bands");
    }
  });
}

}  // namespace iop::outcomes::api
