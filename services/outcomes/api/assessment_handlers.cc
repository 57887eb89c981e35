// Handlers of assessments, client progress and cohort outcomes.
#include "absl/time/clock.h"
#include "common/sql.h"
#include "outcomes/api/outcomes_api.h"
#include "outcomes/api/validation.h"
#include "outcomes/domain/change.h"
#include "outcomes/domain/scoring.h"
#include "outcomes/store/convert.h"

namespace iop::outcomes::api {
namespace {

using auth::Permission;
using server::Call;

constexpr auto kFutureSlack = absl::Minutes(5);

std::vector<store::NewAlert> AlertsFor(const domain::Instrument& instrument, const domain::Scored& scored) {
  std::vector<store::NewAlert> out;
  for (const auto& c : scored.critical) {
    out.push_back({c.item_number, static_cast<v1::RiskSeverity>(c.risk_level),
                   instrument.code + " item " + std::to_string(c.item_number) + " answered " +
                       std::to_string(c.answer) + ": " + c.description});
  }
  return out;
}

}  // namespace

ServerUnaryReactor* OutcomesApi::SubmitAssessment(CallbackServerContext* ctx, const v1::SubmitAssessmentRequest* req,
                                                  v1::Assessment* resp) {
  return runner_.Unary(ctx, *req, {"SubmitAssessment", Permission::kOutcomesSubmit, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "client_id", req->client_id());
    v.Require(!req->instrument_code().empty(), "instrument_code", "is required");
    v.Require(req->session_id().size() <= kMaxIdLength, "session_id", "must be at most 128 bytes");
    CheckRequestId(v, req->request_id());
    const absl::Time now = absl::Now();
    absl::Time administered = now;
    if (req->has_administered_at()) {
      administered = sql::TimeFromMicros(sql::MicrosFromTimestamp(req->administered_at()));
      v.Require(administered <= now + kFutureSlack, "administered_at", "is more than 5 minutes in the future");
      v.Require(req->administered_at().seconds() > 0, "administered_at", "must be after 1970-01-01");
    }
    v.ThrowIfInvalid();
    call.Touch(req->client_id());

    const v1::Instrument stored_instrument = instruments_.Get(call.caller(), req->instrument_code());
    const domain::Instrument instrument = store::FromProto(stored_instrument);
    const std::vector<int> answers(req->answers().begin(), req->answers().end());
    for (const auto& problem : domain::CheckAnswers(instrument, answers)) v.Add(problem.field, problem.description);
    v.ThrowIfInvalid();

    const auto client = directory_.Client(call, req->client_id());
    if (!req->session_id().empty()) directory_.Session(call, req->session_id());

    const domain::Scored scored = domain::Score(instrument, answers);
    v1::Assessment a;
    a.set_client_id(client.id());
    a.set_site_id(client.site_id());
    a.set_instrument_code(instrument.code);
    *a.mutable_answers() = req->answers();
    a.set_total_score(scored.total);
    if (scored.band != nullptr) {
      a.set_severity(scored.band->label);
      a.set_acute(scored.band->acute);
    }
    for (int n : scored.CriticalItemNumbers()) a.add_critical_items(n);
    *a.mutable_administered_at() = sql::TimestampFromMicros(absl::ToUnixMicros(administered));
    a.set_session_id(req->session_id());
    a.set_submitted_by(call.caller().subject);
    const auto alerts = AlertsFor(instrument, scored);
    *resp = assessments_.Submit(call.caller(), a, alerts, {"SubmitAssessment", *req, req->request_id()},
                                [&](const v1::Assessment& stored) {
                                  metrics_.Scored(stored.instrument_code());
                                  if (stored.risk_alert_ids_size() > 0) metrics_.RefreshOpenAlerts();
                                });
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* OutcomesApi::GetAssessment(CallbackServerContext* ctx, const v1::GetAssessmentRequest* req,
                                               v1::Assessment* resp) {
  return runner_.Unary(ctx, *req, {"GetAssessment", Permission::kOutcomesRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "id", req->id());
    v.ThrowIfInvalid();
    call.Touch(req->id());
    *resp = assessments_.Get(call.caller(), req->id());
    call.Touch(resp->client_id());
  });
}

ServerUnaryReactor* OutcomesApi::GetClientProgress(CallbackServerContext* ctx,
                                                   const v1::GetClientProgressRequest* req,
                                                   v1::GetClientProgressResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetClientProgress", Permission::kOutcomesRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "client_id", req->client_id());
    v.Require(!req->instrument_code().empty(), "instrument_code", "is required");
    v.ThrowIfInvalid();
    call.Touch(req->client_id());
    const domain::Instrument instrument = store::FromProto(instruments_.Get(call.caller(), req->instrument_code()));
    directory_.Client(call, req->client_id());  // existence and the caller's sites
    const auto points = assessments_.Series(call.caller(), req->client_id(), instrument.code);
    std::vector<double> scores;
    for (const auto& p : points) scores.push_back(p.score());
    const domain::Change change = domain::AnalyzeSeries(instrument, scores);
    resp->set_client_id(req->client_id());
    resp->set_instrument_code(instrument.code);
    for (const auto& p : points) *resp->add_points() = p;
    if (!scores.empty()) {
      resp->set_baseline_score(scores.front());
      resp->set_latest_score(scores.back());
    }
    resp->set_change(change.change);
    resp->set_reliable_change_index(change.reliable_change_index);
    resp->set_category(static_cast<v1::ChangeCategory>(change.category));
    resp->set_clinically_significant(change.clinically_significant);
  });
}

ServerUnaryReactor* OutcomesApi::GetCohortOutcomes(CallbackServerContext* ctx,
                                                   const v1::GetCohortOutcomesRequest* req,
                                                   v1::GetCohortOutcomesResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetCohortOutcomes", Permission::kOutcomesRead, true}, [=, this](Call& call) {
    using R = v1::GetCohortOutcomesRequest;
    call.Touch(req->group_id());
    call.Touch(req->program_id());
    call.Touch(req->site_id());
    errors::Validator v;
    switch (req->scope_case()) {
      case R::kGroupId: CheckId(v, "group_id", req->group_id()); break;
      case R::kProgramId: CheckId(v, "program_id", req->program_id()); break;
      case R::kSiteId: CheckId(v, "site_id", req->site_id()); break;
      default: v.Add("scope", "one of group_id, program_id or site_id is required");
    }
    v.Require(!req->instrument_code().empty(), "instrument_code", "is required");
    absl::CivilDay first, last;
    const bool first_ok = absl::ParseCivilTime(req->start_date(), &first);
    const bool last_ok = absl::ParseCivilTime(req->end_date(), &last);
    v.Require(first_ok, "start_date", "must be a date \"YYYY-MM-DD\"");
    v.Require(last_ok, "end_date", "must be a date \"YYYY-MM-DD\"");
    v.Require(!(first_ok && last_ok) || last >= first, "end_date", "must not be before start_date");
    v.ThrowIfInvalid();
    const domain::Instrument instrument = store::FromProto(instruments_.Get(call.caller(), req->instrument_code()));
    const Cohort cohort = directory_.CohortOf(call, *req, first, last);
    // The range is read in the cohort's site's zone: whole local days.
    const absl::Time from = absl::FromCivil(first, cohort.zone);
    const absl::Time to = absl::FromCivil(last + 1, cohort.zone);
    const auto by_client = assessments_.SeriesOf(call.caller(), cohort.client_ids, instrument.code, from, to);
    std::vector<std::vector<double>> series;
    for (const auto& [client_id, scores] : by_client) {
      call.Touch(client_id);
      series.push_back(scores);
    }
    const domain::CohortSummary s = domain::SummarizeCohort(instrument, series);
    resp->set_instrument_code(instrument.code);
    resp->set_clients_assessed(s.clients_assessed);
    resp->set_clients_measured(s.clients_measured);
    resp->set_mean_baseline(s.mean_baseline);
    resp->set_mean_latest(s.mean_latest);
    resp->set_mean_change(s.mean_change);
    resp->set_share_reliably_improved(s.share_reliably_improved);
    resp->set_share_reliably_deteriorated(s.share_reliably_deteriorated);
    resp->set_share_recovered(s.share_recovered);
    resp->set_effect_size(s.effect_size);
  });
}

}  // namespace iop::outcomes::api
