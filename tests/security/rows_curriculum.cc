// Rows of iop.curriculum.v1.CurriculumService. Lessons and tracks are
// org-wide (a site limit does not hide them); plans, deliveries and coverage
// follow the group, session or client they are about.
#include "iop/curriculum/v1/curriculum.grpc.pb.h"
#include "security/matrix.h"

namespace iop::security {
namespace {

namespace v1 = ::iop::curriculum::v1;
using R = Reach;

constexpr unsigned kClinical = kAdmin | kClinician;

template <class Resp, class Req, class Rpc>
Resp ReadAsAdmin(const Build& b, Rpc rpc, const Req& req) {
  auto stub = v1::CurriculumService::NewStub(b.platform.curriculum.Channel());
  Resp out;
  grpc::Status s = (stub.get()->*rpc)(testing::WithToken(b.at.admin).get(), req, &out);
  if (!s.ok()) throw std::runtime_error("reading the current etag failed: " + s.error_message());
  return out;
}

void FillLesson(v1::Lesson* l, const std::string& title) {
  l->set_title(title);
  l->set_modality(::iop::common::v1::MODALITY_DBT_SKILLS);
  l->set_module("Emotion Regulation");
  l->add_objectives("Check the facts");
  for (int k = 1; k <= 5; ++k) {
    auto* ph = l->add_phases();
    ph->set_kind(static_cast<v1::PhaseKind>(k));
    ph->set_minutes(8);
  }
}

}  // namespace

std::vector<Row> CurriculumRows() {
  return {
      {.method = "CreateLesson", .roles = kClinical, .reach = R::kNothing, .client_data = false,
       .read_only = false, .request = Make<v1::CreateLessonRequest>([](auto& r, const Build& b) {
         FillLesson(r.mutable_lesson(), "Check the facts");
         r.set_request_id(b.request_id);
       })},
      {.method = "GetLesson", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = true,
       .request = Make<v1::GetLessonRequest>([](auto& r, const Build& b) { r.set_id(b.at.lesson); })},
      {.method = "ListLessons", .roles = kClinical, .reach = R::kNothing, .client_data = false, .read_only = true,
       .request = Make<v1::ListLessonsRequest>([](auto&, const Build&) {})},
      {.method = "UpdateLesson", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = false,
       .request = Make<v1::UpdateLessonRequest>([](auto& r, const Build& b) {
         v1::GetLessonRequest get;
         get.set_id(b.at.lesson);
         auto current = ReadAsAdmin<v1::Lesson>(b, &v1::CurriculumService::Stub::GetLesson, get);
         r.mutable_lesson()->set_id(b.at.lesson);
         r.mutable_lesson()->set_etag(current.etag());
         r.mutable_lesson()->set_homework("Practise once a day");
         r.mutable_update_mask()->add_paths("homework");
         r.set_request_id(b.request_id);
       })},
      {.method = "CreateTrack", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = false,
       .request = Make<v1::CreateTrackRequest>([](auto& r, const Build& b) {
         auto* t = r.mutable_track();
         t->set_title("Short course");
         t->set_modality(::iop::common::v1::MODALITY_DBT_SKILLS);
         auto* m = t->add_modules();
         m->set_title("Distress Tolerance");
         m->add_lesson_ids(b.at.lesson);
         r.set_request_id(b.request_id);
       }),
       .note = "names a lesson"},
      {.method = "GetTrack", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = true,
       .request = Make<v1::GetTrackRequest>([](auto& r, const Build& b) { r.set_id(b.at.track); })},
      {.method = "ListTracks", .roles = kClinical, .reach = R::kNothing, .client_data = false, .read_only = true,
       .request = Make<v1::ListTracksRequest>([](auto&, const Build&) {})},
      {.method = "UpdateTrack", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = false,
       .request = Make<v1::UpdateTrackRequest>([](auto& r, const Build& b) {
         v1::GetTrackRequest get;
         get.set_id(b.at.track);
         auto current = ReadAsAdmin<v1::Track>(b, &v1::CurriculumService::Stub::GetTrack, get);
         r.mutable_track()->set_id(b.at.track);
         r.mutable_track()->set_etag(current.etag());
         r.mutable_track()->set_description("Four weeks of distress tolerance");
         r.mutable_update_mask()->add_paths("description");
         r.set_request_id(b.request_id);
       })},
      {.method = "CopyTrack", .roles = kClinical, .reach = R::kOrg, .client_data = false, .read_only = false,
       .request = Make<v1::CopyTrackRequest>([](auto& r, const Build& b) {
         r.set_id(b.at.track);
         r.set_title("Copy for the evening group");
         r.set_request_id(b.request_id);
       })},
      {.method = "PlanSessions", .roles = kClinical, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::PlanSessionsRequest>([](auto& r, const Build& b) {
         r.set_group_id(b.at.group);
         r.set_track_id(b.at.track);
         r.set_start_date(b.at.drill_weekday_day);
         r.set_end_date(b.at.ends_on);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetSessionPlan", .roles = kClinical, .reach = R::kSite, .client_data = false, .read_only = true,
       .request = Make<v1::GetSessionPlanRequest>([](auto& r, const Build& b) { r.set_session_id(b.at.session); })},
      {.method = "RecordDelivery", .roles = kClinical, .reach = R::kSite, .client_data = false, .read_only = false,
       .request = Make<v1::RecordDeliveryRequest>([](auto& r, const Build& b) {
         r.set_session_id(b.at.session);
         r.set_lesson_id(b.at.lesson);
         r.add_phases_completed(v1::PHASE_KIND_CHECK_IN);
         r.set_request_id(b.request_id);
       })},
      {.method = "GetClientCoverage", .roles = kClinical, .reach = R::kSite, .client_data = true,
       .read_only = true, .request = Make<v1::GetClientCoverageRequest>([](auto& r, const Build& b) {
         r.set_client_id(b.at.client);
         r.set_track_id(b.at.track);
       }),
       .audited_id = [](const Place& p) { return p.client; },
#ifdef IOP_SECURITY_HAS_ATTENDANCE
       .ok = grpc::StatusCode::OK
#else
       .ok = grpc::StatusCode::UNAVAILABLE, .note = "attendance not built: UNAVAILABLE"
#endif
      },
      {.method = "ListAuditEvents", .roles = kAdmin | kAuditor, .reach = R::kNothing, .client_data = true,
       .read_only = true, .request = Make<::iop::common::v1::ListAuditEventsRequest>([](auto& r, const Build&) {
         r.set_page_size(1);
       }),
       .note = "reading the audit log is itself audited (audit.proto)"},
  };
}

}  // namespace iop::security
