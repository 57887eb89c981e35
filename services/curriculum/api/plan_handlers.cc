// Handlers that join curriculum with scheduling and attendance: planning
// lessons into sessions, recording deliveries, and client coverage.
#include <set>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/errors.h"
#include "common/sql.h"
#include "curriculum/api/curriculum_api.h"
#include "curriculum/domain/coverage.h"
#include "curriculum/domain/planning.h"
#include "curriculum/store/convert.h"

namespace iop::curriculum::api {
namespace {

using auth::Permission;
using server::Call;

constexpr int kMaxPlanDays = 366;

bool ParseDate(const std::string& text, absl::CivilDay* out) {
  return text.size() == 10 && absl::ParseCivilTime(text, out);
}

int SessionMinutes(const sched::Session& s) {
  return static_cast<int>((sql::MicrosFromTimestamp(s.end_time()) - sql::MicrosFromTimestamp(s.start_time())) /
                          60000000);
}

std::vector<std::string> DistinctLessonIds(const v1::Track& track) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& m : track.modules()) {
    for (const auto& id : m.lesson_ids()) {
      if (seen.insert(id).second) ids.push_back(id);
    }
  }
  return ids;
}

domain::PlannedSession ToPlanned(const v1::SessionPlan& p) {
  return {p.session_id(), p.track_id(), p.lesson_id(), p.module(), p.sequence(), p.cycle(), false};
}

}  // namespace

ServerUnaryReactor* CurriculumApi::PlanSessions(CallbackServerContext* ctx, const v1::PlanSessionsRequest* req,
                                                v1::PlanSessionsResponse* resp) {
  return runner_.Unary(ctx, *req, {"PlanSessions", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    absl::CivilDay first, last;
    v.Require(!req->group_id().empty(), "group_id", "is required");
    const bool start_ok = ParseDate(req->start_date(), &first);
    const bool end_ok = ParseDate(req->end_date(), &last);
    v.Require(start_ok, "start_date", "must be a date \"YYYY-MM-DD\"");
    v.Require(end_ok, "end_date", "must be a date \"YYYY-MM-DD\"");
    if (start_ok && end_ok) {
      v.Require(last >= first, "end_date", "must not be before start_date");
      v.Require(last - first < kMaxPlanDays, "end_date", "the range must be at most 366 days");
    }
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();

    const sched::Group group = peers_.GetGroup(call, req->group_id());
    const std::string track_id = req->track_id().empty() ? group.curriculum_track_id() : req->track_id();
    if (track_id.empty()) {
      errors::Throw(errors::InvalidArgument("track_id", "is required: the group has no curriculum_track_id"));
    }
    const v1::Track track = library_.GetTrack(call.caller(), track_id);
    call.Touch(group.id());
    call.Touch(track.id());

    domain::PlanInput in;
    in.track_id = track.id();
    in.steps = domain::Flatten(store::ToDomain(track).modules);
    for (const auto& lesson : library_.GetLessons(call.caller(), DistinctLessonIds(track))) {
      in.lesson_minutes[lesson.id()] = lesson.total_minutes();
    }
    // Dates are the site's; a day either side of UTC covers every zone, and
    // each session's local_date decides.
    const absl::Time from = absl::FromCivil(first - 1, absl::UTCTimeZone());
    const absl::Time to = absl::FromCivil(last + 2, absl::UTCTimeZone());
    std::map<std::string, sched::Session> sessions;
    std::vector<std::string> range_ids;
    for (auto& s : peers_.ListGroupSessions(call, group.id(), from, to)) {
      if (s.local_date() < req->start_date() || s.local_date() > req->end_date()) continue;
      in.sessions.push_back({s.id(), sql::MicrosFromTimestamp(s.start_time()), SessionMinutes(s),
                             s.status() == sched::SESSION_STATUS_CANCELLED});
      range_ids.push_back(s.id());
      sessions.emplace(s.id(), std::move(s));
    }
    in.last_before = plans_.LastPlanBefore(call.caller(), group.id(), req->start_date());
    in.delivered = plans_.DeliveredOf(call.caller(), range_ids);
    std::vector<std::string> delivered_ids(in.delivered.begin(), in.delivered.end());
    for (const auto& [id, plan] : plans_.PlansOf(call.caller(), delivered_ids)) {
      in.delivered_plans.emplace(id, ToPlanned(plan));
    }

    domain::PlanResult result = domain::PlanSessions(in);
    if (!result.too_long.empty()) {
      std::vector<errors::Violation> violations;
      for (const auto& t : result.too_long) {
        violations.push_back({"LESSON_TOO_LONG", t.session_id,
                              "lesson " + t.lesson_id + " takes " + std::to_string(t.lesson_minutes) +
                                  " minutes but session " + t.session_id + " lasts " +
                                  std::to_string(t.session_minutes)});
      }
      errors::Throw(errors::FailedPrecondition("lessons do not fit their sessions", violations));
    }
    std::vector<v1::SessionPlan> fresh;
    for (const auto& p : result.plans) {
      const sched::Session& s = sessions.at(p.session_id);
      v1::SessionPlan plan;
      plan.set_session_id(p.session_id);
      plan.set_track_id(p.track_id);
      plan.set_lesson_id(p.lesson_id);
      plan.set_module(p.module);
      plan.set_sequence(p.sequence);
      plan.set_cycle(p.cycle);
      *plan.mutable_planned_time() = s.start_time();
      plan.set_local_date(s.local_date());
      plan.set_delivered(p.kept);
      fresh.push_back(std::move(plan));
    }
    *resp = plans_.ReplacePlans(call.caller(), group.id(), req->start_date(), req->end_date(), fresh, range_ids,
                                {"PlanSessions", *req, req->request_id()});
  });
}

ServerUnaryReactor* CurriculumApi::GetSessionPlan(CallbackServerContext* ctx, const v1::GetSessionPlanRequest* req,
                                                  v1::SessionPlan* resp) {
  return runner_.Unary(ctx, *req, {"GetSessionPlan", Permission::kCurriculumRead}, [=, this](Call& call) {
    if (req->session_id().empty()) errors::Throw(errors::InvalidArgument("session_id", "is required"));
    // Scheduling decides whether the caller may see the session, and where
    // it is now (a rescheduled session keeps its plan).
    const sched::Session session = peers_.GetSession(call, req->session_id());
    *resp = plans_.GetPlan(call.caller(), session.id());
    *resp->mutable_planned_time() = session.start_time();
    resp->set_local_date(session.local_date());
  });
}

ServerUnaryReactor* CurriculumApi::RecordDelivery(CallbackServerContext* ctx, const v1::RecordDeliveryRequest* req,
                                                  v1::Delivery* resp) {
  return runner_.Unary(ctx, *req, {"RecordDelivery", Permission::kCurriculumWrite}, [=, this](Call& call) {
    errors::Validator v;
    v.Require(!req->session_id().empty(), "session_id", "is required");
    v.Require(req->fidelity_notes().size() <= 4000, "fidelity_notes", "must be at most 4000 characters");
    for (int i = 0; i < req->phases_completed_size(); ++i) {
      v.Require(domain::IsKnownPhaseKind(req->phases_completed(i)), "phases_completed[" + std::to_string(i) + "]",
                "must be a phase kind");
    }
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();

    const sched::Session session = peers_.GetSession(call, req->session_id());
    call.Touch(session.id());
    if (session.status() == sched::SESSION_STATUS_CANCELLED) {
      errors::Throw(errors::FailedPrecondition(
          "the session is cancelled", {{"SESSION_CANCELLED", session.id(), "session " + session.id() + " is cancelled"}}));
    }
    std::string lesson_id = req->lesson_id();
    if (lesson_id.empty()) {
      try {
        lesson_id = plans_.GetPlan(call.caller(), session.id()).lesson_id();
      } catch (const errors::RpcError& e) {
        if (e.status().error_code() != grpc::StatusCode::NOT_FOUND) throw;
        errors::Throw(errors::InvalidArgument("lesson_id", "is required: nothing is planned for the session"));
      }
    }
    const v1::Lesson lesson = library_.GetLesson(call.caller(), lesson_id);
    const domain::Lesson dl = store::ToDomain(lesson);
    const auto kinds = domain::DistinctKinds(dl.phases);
    for (int i = 0; i < req->phases_completed_size(); ++i) {
      const auto kind = static_cast<domain::PhaseKind>(req->phases_completed(i));
      v.Require(std::find(kinds.begin(), kinds.end(), kind) != kinds.end(),
                "phases_completed[" + std::to_string(i) + "]", "the lesson has no such phase");
    }
    v.ThrowIfInvalid();
    std::string delivered_by = req->delivered_by();
    if (!delivered_by.empty()) {
      peers_.RequireStaff(call, delivered_by);
    } else if (session.facilitator_ids_size() > 0) {
      delivered_by = session.facilitator_ids(0);
    }

    v1::Delivery d;
    d.set_session_id(session.id());
    d.set_lesson_id(lesson.id());
    *d.mutable_phases_completed() = req->phases_completed();
    d.set_fidelity_notes(req->fidelity_notes());
    d.set_delivered_by(delivered_by);
    store::DeliveryFacts facts{session.group_id(), session.site_id(), sql::MicrosFromTimestamp(session.start_time()),
                               session.local_date(),
                               domain::FidelityScore(dl.phases, store::ToDomain(req->phases_completed()))};
    *resp = plans_.RecordDelivery(call.caller(), d, facts, {"RecordDelivery", *req, req->request_id()});
  });
}

ServerUnaryReactor* CurriculumApi::GetClientCoverage(CallbackServerContext* ctx,
                                                     const v1::GetClientCoverageRequest* req,
                                                     v1::GetClientCoverageResponse* resp) {
  return runner_.Unary(
      ctx, *req, {"GetClientCoverage", Permission::kCurriculumRead, /*client_data=*/true}, [=, this](Call& call) {
        errors::Validator v;
        v.Require(!req->client_id().empty(), "client_id", "is required");
        v.Require(!req->track_id().empty(), "track_id", "is required");
        v.ThrowIfInvalid();
        call.Touch(req->client_id());
        const v1::Track track = library_.GetTrack(call.caller(), req->track_id());
        peers_.RequireClient(call, req->client_id());

        const store::Teaching teaching = plans_.TeachingOf(call.caller(), DistinctLessonIds(track));
        std::set<std::string> covered;
        absl::CivilDay first, last;
        const absl::Time now = absl::Now();
        // Nothing after tomorrow (in any zone) can have been attended yet.
        const absl::CivilDay latest = absl::ToCivilDay(now, absl::UTCTimeZone()) + 1;
        if (!teaching.sessions.empty() && ParseDate(teaching.first_date, &first) &&
            ParseDate(teaching.last_date, &last) && first <= latest) {
          std::map<std::string, const domain::SessionTeaching*> by_session;
          for (const auto& s : teaching.sessions) by_session[s.session_id] = &s;
          for (const auto& r : peers_.ClientAttendance(call, req->client_id(), first, std::min(last, latest))) {
            if (!domain::Attended(static_cast<domain::AttendanceStatus>(r.status()))) continue;
            auto it = by_session.find(r.session_id());
            if (it == by_session.end()) continue;
            if (auto lesson = domain::LessonTaught(*it->second, absl::ToUnixMicros(now))) covered.insert(*lesson);
          }
        }
        const domain::Coverage c = domain::ComputeCoverage(store::ToDomain(track).modules, covered);
        resp->set_client_id(req->client_id());
        resp->set_track_id(track.id());
        for (const auto& m : c.modules) {
          auto* out = resp->add_modules();
          out->set_module(m.module);
          out->set_lessons_attended(static_cast<int>(m.attended_lesson_ids.size()));
          out->set_lessons_total(m.lessons_total);
          for (const auto& id : m.attended_lesson_ids) out->add_attended_lesson_ids(id);
          out->set_complete(m.complete);
        }
        resp->set_modules_complete(c.modules_complete);
        resp->set_modules_total(static_cast<int>(c.modules.size()));
        resp->set_complete(c.complete);
      });
}

}  // namespace iop::curriculum::api
