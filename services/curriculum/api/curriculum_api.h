// gRPC face of the curriculum service: validates requests, authorizes
// through CallRunner, asks scheduling and attendance what it needs and
// calls the stores. No SQL here.
#pragma once

#include "common/audit.h"
#include "common/call.h"
#include "curriculum/api/peers.h"
#include "curriculum/store/library_store.h"
#include "curriculum/store/plan_store.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"

namespace iop::curriculum::api {

namespace v1 = ::iop::curriculum::v1;
namespace cv1 = ::iop::common::v1;
using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

class CurriculumApi final : public v1::CurriculumService::CallbackService {
 public:
  CurriculumApi(server::CallRunner& runner, store::LibraryStore& library, store::PlanStore& plans,
                Peers& peers, audit::AuditLog& audit)
      : runner_(runner), library_(library), plans_(plans), peers_(peers), audit_(audit) {}

  ServerUnaryReactor* CreateLesson(CallbackServerContext*, const v1::CreateLessonRequest*, v1::Lesson*) override;
  ServerUnaryReactor* GetLesson(CallbackServerContext*, const v1::GetLessonRequest*, v1::Lesson*) override;
  ServerUnaryReactor* ListLessons(CallbackServerContext*, const v1::ListLessonsRequest*,
                                  v1::ListLessonsResponse*) override;
  ServerUnaryReactor* UpdateLesson(CallbackServerContext*, const v1::UpdateLessonRequest*, v1::Lesson*) override;
  ServerUnaryReactor* CreateTrack(CallbackServerContext*, const v1::CreateTrackRequest*, v1::Track*) override;
  ServerUnaryReactor* GetTrack(CallbackServerContext*, const v1::GetTrackRequest*, v1::Track*) override;
  ServerUnaryReactor* ListTracks(CallbackServerContext*, const v1::ListTracksRequest*,
                                 v1::ListTracksResponse*) override;
  ServerUnaryReactor* UpdateTrack(CallbackServerContext*, const v1::UpdateTrackRequest*, v1::Track*) override;
  ServerUnaryReactor* CopyTrack(CallbackServerContext*, const v1::CopyTrackRequest*, v1::Track*) override;
  ServerUnaryReactor* PlanSessions(CallbackServerContext*, const v1::PlanSessionsRequest*,
                                   v1::PlanSessionsResponse*) override;
  ServerUnaryReactor* GetSessionPlan(CallbackServerContext*, const v1::GetSessionPlanRequest*,
                                     v1::SessionPlan*) override;
  ServerUnaryReactor* RecordDelivery(CallbackServerContext*, const v1::RecordDeliveryRequest*,
                                     v1::Delivery*) override;
  ServerUnaryReactor* GetClientCoverage(CallbackServerContext*, const v1::GetClientCoverageRequest*,
                                        v1::GetClientCoverageResponse*) override;
  ServerUnaryReactor* ListAuditEvents(CallbackServerContext*, const cv1::ListAuditEventsRequest*,
                                      cv1::ListAuditEventsResponse*) override;

 private:
  server::CallRunner& runner_;
  store::LibraryStore& library_;
  store::PlanStore& plans_;
  Peers& peers_;
  audit::AuditLog& audit_;
};

// Shared by the handler files.
void CheckRequestId(errors::Validator& v, const std::string& request_id);

}  // namespace iop::curriculum::api
