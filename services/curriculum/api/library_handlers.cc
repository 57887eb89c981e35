// Handlers of the lesson and track RPCs (the org's own and the built-in
// starter library).
#include "common/audit_rpc.h"
#include "common/errors.h"
#include "curriculum/api/curriculum_api.h"
#include "curriculum/domain/lesson.h"
#include "curriculum/store/convert.h"

namespace iop::curriculum::api {

using auth::Permission;
using server::Call;

void CheckRequestId(errors::Validator& v, const std::string& request_id) {
  v.Require(request_id.size() <= 128, "request_id", "must be at most 128 bytes");
}

namespace {

// The paths an update changes; INVALID_ARGUMENT (update_mask) for unknown
// paths or nothing to change.
std::vector<std::string> UpdatePaths(const google::protobuf::FieldMask& mask,
                                     const std::vector<std::string>& mutable_paths,
                                     const std::function<std::vector<std::string>(const std::vector<std::string>&)>& expand) {
  std::vector<std::string> requested(mask.paths().begin(), mask.paths().end());
  errors::Validator v;
  for (const auto& p : requested) {
    v.Require(std::find(mutable_paths.begin(), mutable_paths.end(), p) != mutable_paths.end(), "update_mask",
              "\"" + p + "\" is not a field that can change");
  }
  v.ThrowIfInvalid();
  std::vector<std::string> paths = expand(requested);
  if (paths.empty()) errors::Throw(errors::InvalidArgument("update_mask", "names nothing to change"));
  return paths;
}

}  // namespace

ServerUnaryReactor* CurriculumApi::CreateLesson(CallbackServerContext* ctx, const v1::CreateLessonRequest* req,
                                                v1::Lesson* resp) {
  return runner_.Unary(ctx, *req, {"CreateLesson", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    domain::CheckLesson(v, "lesson", store::ToDomain(req->lesson()));
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = library_.CreateLesson(call.caller(), req->lesson(), {"CreateLesson", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* CurriculumApi::GetLesson(CallbackServerContext* ctx, const v1::GetLessonRequest* req,
                                             v1::Lesson* resp) {
  return runner_.Unary(ctx, *req, {"GetLesson", Permission::kCurriculumRead}, [=, this](Call& call) {
    *resp = library_.GetLesson(call.caller(), req->id());
  });
}

ServerUnaryReactor* CurriculumApi::ListLessons(CallbackServerContext* ctx, const v1::ListLessonsRequest* req,
                                               v1::ListLessonsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListLessons", Permission::kCurriculumRead}, [=, this](Call& call) {
    auto page = library_.ListLessons(call.caller(), *req);
    for (auto& l : page.items) *resp->add_lessons() = std::move(l);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* CurriculumApi::UpdateLesson(CallbackServerContext* ctx, const v1::UpdateLessonRequest* req,
                                                v1::Lesson* resp) {
  return runner_.Unary(ctx, *req, {"UpdateLesson", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->lesson().id().empty(), "lesson.id", "is required");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    auto paths = UpdatePaths(req->update_mask(), store::LessonMutablePaths(), [&](const auto& mask) {
      return store::LessonUpdatePaths(req->lesson(), mask);
    });
    *resp = library_.UpdateLesson(call.caller(), req->lesson(), paths, {"UpdateLesson", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* CurriculumApi::CreateTrack(CallbackServerContext* ctx, const v1::CreateTrackRequest* req,
                                               v1::Track* resp) {
  return runner_.Unary(ctx, *req, {"CreateTrack", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    domain::CheckTrack(v, "track", store::ToDomain(req->track()));
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = library_.CreateTrack(call.caller(), req->track(), {"CreateTrack", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* CurriculumApi::GetTrack(CallbackServerContext* ctx, const v1::GetTrackRequest* req,
                                            v1::Track* resp) {
  return runner_.Unary(ctx, *req, {"GetTrack", Permission::kCurriculumRead}, [=, this](Call& call) {
    *resp = library_.GetTrack(call.caller(), req->id());
  });
}

ServerUnaryReactor* CurriculumApi::ListTracks(CallbackServerContext* ctx, const v1::ListTracksRequest* req,
                                              v1::ListTracksResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListTracks", Permission::kCurriculumRead}, [=, this](Call& call) {
    auto page = library_.ListTracks(call.caller(), *req);
    for (auto& t : page.items) *resp->add_tracks() = std::move(t);
    resp->set_next_page_token(page.next_page_token);
  });
}

ServerUnaryReactor* CurriculumApi::UpdateTrack(CallbackServerContext* ctx, const v1::UpdateTrackRequest* req,
                                               v1::Track* resp) {
  return runner_.Unary(ctx, *req, {"UpdateTrack", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->track().id().empty(), "track.id", "is required");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    auto paths = UpdatePaths(req->update_mask(), store::TrackMutablePaths(), [&](const auto& mask) {
      return store::TrackUpdatePaths(req->track(), mask);
    });
    *resp = library_.UpdateTrack(call.caller(), req->track(), paths, {"UpdateTrack", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* CurriculumApi::CopyTrack(CallbackServerContext* ctx, const v1::CopyTrackRequest* req,
                                             v1::Track* resp) {
  return runner_.Unary(ctx, *req, {"CopyTrack", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->id().empty(), "id", "is required");
    v.Require(req->title().size() <= domain::kMaxTitleLength, "title", "must be at most 200 bytes");
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    *resp = library_.CopyTrack(call.caller(), *req, {"CopyTrack", *req, req->request_id()});
    call.Touch(resp->id());
  });
}

ServerUnaryReactor* CurriculumApi::ListAuditEvents(CallbackServerContext* ctx, const cv1::ListAuditEventsRequest* req,
                                                   cv1::ListAuditEventsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListAuditEvents", Permission::kAuditRead, /*client_data=*/true}, [=, this](Call& call) {
    *resp = audit::ListAuditEvents(audit_, call.caller(), *req);
  });
}

}  // namespace iop::curriculum::api
