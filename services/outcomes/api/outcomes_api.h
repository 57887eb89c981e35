// gRPC face of the outcomes service: validates requests, authorizes through
// CallRunner, scores with the domain rules and calls the stores. No SQL here.
#pragma once

#include "common/audit.h"
#include "common/call.h"
#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#include "outcomes/api/outcomes_metrics.h"
#include "outcomes/api/scheduling_directory.h"
#include "outcomes/store/assessment_store.h"
#include "outcomes/store/instrument_store.h"

namespace iop::outcomes::api {

namespace v1 = ::iop::outcomes::v1;
using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

class OutcomesApi final : public v1::OutcomesService::CallbackService {
 public:
  OutcomesApi(server::CallRunner& runner, store::InstrumentStore& instruments, store::AssessmentStore& assessments,
              SchedulingDirectory& directory, OutcomesMetrics& metrics, audit::AuditLog& audit)
      : runner_(runner),
        instruments_(instruments),
        assessments_(assessments),
        directory_(directory),
        metrics_(metrics),
        audit_(audit) {}

  ServerUnaryReactor* ListInstruments(CallbackServerContext*, const v1::ListInstrumentsRequest*,
                                      v1::ListInstrumentsResponse*) override;
  ServerUnaryReactor* GetInstrument(CallbackServerContext*, const v1::GetInstrumentRequest*, v1::Instrument*) override;
  ServerUnaryReactor* CreateInstrument(CallbackServerContext*, const v1::CreateInstrumentRequest*,
                                       v1::Instrument*) override;
  ServerUnaryReactor* SubmitAssessment(CallbackServerContext*, const v1::SubmitAssessmentRequest*,
                                       v1::Assessment*) override;
  ServerUnaryReactor* GetAssessment(CallbackServerContext*, const v1::GetAssessmentRequest*, v1::Assessment*) override;
  ServerUnaryReactor* GetClientProgress(CallbackServerContext*, const v1::GetClientProgressRequest*,
                                        v1::GetClientProgressResponse*) override;
  ServerUnaryReactor* GetCohortOutcomes(CallbackServerContext*, const v1::GetCohortOutcomesRequest*,
                                        v1::GetCohortOutcomesResponse*) override;
  ServerUnaryReactor* ListRiskAlerts(CallbackServerContext*, const v1::ListRiskAlertsRequest*,
                                     v1::ListRiskAlertsResponse*) override;
  ServerUnaryReactor* AcknowledgeRiskAlert(CallbackServerContext*, const v1::AcknowledgeRiskAlertRequest*,
                                           v1::RiskAlert*) override;
  ServerUnaryReactor* AssessGroupReadiness(CallbackServerContext*, const v1::AssessGroupReadinessRequest*,
                                           v1::AssessGroupReadinessResponse*) override;
  ServerUnaryReactor* ListAuditEvents(CallbackServerContext*, const iop::common::v1::ListAuditEventsRequest*,
                                      iop::common::v1::ListAuditEventsResponse*) override;

 private:
  server::CallRunner& runner_;
  store::InstrumentStore& instruments_;
  store::AssessmentStore& assessments_;
  SchedulingDirectory& directory_;
  OutcomesMetrics& metrics_;
  audit::AuditLog& audit_;
};

}  // namespace iop::outcomes::api
