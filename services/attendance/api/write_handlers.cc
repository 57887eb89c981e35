// CheckIn, CheckOut and RecordAttendance: every write checks the session and
// roster with scheduling first (UNAVAILABLE and nothing written when it
// cannot be reached), then runs one idempotent transaction, then publishes
// events and counts metrics for what actually changed.
#include <algorithm>
#include <set>

#include "attendance/api/attendance_api.h"
#include "attendance/api/helpers.h"
#include "attendance/domain/attendance.h"

namespace iop::attendance::api {
namespace {

using auth::Permission;
using server::Call;

}  // namespace

AttendanceMetrics::AttendanceMetrics(prometheus::Registry& registry)
    : checkins(prometheus::BuildCounter()
                   .Name("iop_attendance_checkins_total")
                   .Help("Clients checked in to a session (retries and repeats not counted)")
                   .Register(registry)
                   .Add({})),
      records(prometheus::BuildCounter()
                  .Name("iop_attendance_records_total")
                  .Help("Attendance record versions written, by status")
                  .Register(registry)),
      active_watchers(prometheus::BuildGauge()
                          .Name("iop_attendance_active_watchers")
                          .Help("Open WatchSessionAttendance streams")
                          .Register(registry)
                          .Add({})) {}

AttendanceApi::Loaded AttendanceApi::LoadForWrite(Call& call, const std::string& session_id) {
  Loaded out;
  out.scheduled = scheduling_.ForWrite(call, session_id);
  const auto& s = out.scheduled->roster.session();
  if (s.status() == store::sched::SESSION_STATUS_CANCELLED) {
    errors::Throw(errors::FailedPrecondition(
        "the session is cancelled",
        {{"SESSION_CANCELLED", "sessions/" + session_id,
          "session " + session_id + " was cancelled" +
              (s.cancel_reason().empty() ? "" : ": " + s.cancel_reason())}}));
  }
  store::SessionContext& c = out.context;
  c.session_id = s.id();
  c.group_id = s.group_id();
  c.site_id = s.site_id();
  c.program_id = out.scheduled->program.id();
  c.time_zone = out.scheduled->site.time_zone();
  c.start = ToTime(s.start_time());
  c.end = ToTime(s.end_time());
  if (!domain::ParseDay(s.local_date(), &c.local_date)) {
    c.local_date = domain::LocalDay(c.start, ZoneOr(c.time_zone));
  }
  c.rules = RulesOf(out.scheduled->program);
  return out;
}

void AttendanceApi::RequireOnRoster(Call& call, Loaded& loaded,
                                    const std::vector<std::string>& client_ids) {
  // A scan, not a set: a write names one client or a session's few.
  auto missing = [&] {
    const auto& entries = loaded.scheduled->roster.entries();
    std::vector<std::string> out;
    for (const auto& id : client_ids) {
      auto on_roster = [&](const auto& e) { return e.client_id() == id; };
      if (std::none_of(entries.begin(), entries.end(), on_roster)) out.push_back(id);
    }
    return out;
  };
  if (missing().empty()) return;
  // The roster may have been cached before a recent enrollment.
  loaded.scheduled = scheduling_.ForWrite(call, loaded.context.session_id, /*fresh=*/true);
  auto absent = missing();
  if (absent.empty()) return;
  std::vector<errors::Violation> violations;
  for (const auto& id : absent) {
    scheduling_.Client(call, id);  // NOT_FOUND for a client that does not exist
    violations.push_back({"NOT_ON_ROSTER", "clients/" + id,
                          "client " + id + " is not on the roster of session " +
                              loaded.context.session_id});
  }
  errors::Throw(errors::FailedPrecondition("clients are not on the session's roster", violations));
}

void AttendanceApi::Publish(const Call& call, v1::EventKind kind, const v1::AttendanceRecord& record) {
  v1::AttendanceEvent event;
  event.set_kind(kind);
  *event.mutable_record() = record;
  *event.mutable_occurred_at() = record.update_time();
  event.set_session_id(record.session_id());
  hub_.Publish(call.caller().org, record.session_id(), event);
}

ServerUnaryReactor* AttendanceApi::CheckIn(CallbackServerContext* ctx, const v1::CheckInRequest* req,
                                           v1::AttendanceRecord* resp) {
  return runner_.Unary(ctx, *req, {"CheckIn", Permission::kCheckIn, /*client_data=*/true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "session_id", req->session_id());
    CheckId(v, "client_id", req->client_id());
    if (req->has_mood_rating()) {
      v.Require(req->mood_rating() >= domain::kMinMood && req->mood_rating() <= domain::kMaxMood,
                "mood_rating", "must be from 0 to 10");
    }
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    call.Touch(req->session_id());
    call.Touch(req->client_id());
    Loaded loaded = LoadForWrite(call, req->session_id());
    RequireOnRoster(call, loaded, {req->client_id()});
    std::optional<int> mood;
    if (req->has_mood_rating()) mood = req->mood_rating();
    const absl::Time now = absl::Now();
    auto first = store_.FirstCheckInOf(call.caller(), loaded.context, req->client_id(), mood, now,
                                       {"CheckIn", *req, req->request_id()});
    if (!first) return CheckedIn(call, resp, CheckInGeneral(call, *req, loaded.context, mood, now));
    // A client's first check-in waits for its batch without holding this
    // thread: the thread that writes the batch answers the call, or hands
    // it back to the pool for the general path when the batch did not
    // write it.
    server::Later later = call.Defer();
    store_.SubmitFirstCheckIn(
        std::move(*first), [=, this, context = loaded.context](std::optional<v1::AttendanceRecord> record,
                                                               std::exception_ptr error) mutable {
          if (error) return later.Finish([error](Call&) { std::rethrow_exception(error); });
          if (record) {
            return later.Finish([=, this, record = std::move(*record)](Call& call) {
              idempotency::AnswerCommitted();
              CheckedIn(call, resp, {record, /*fresh=*/true, {true}});
            });
          }
          later.FinishOnPool([=, this](Call& call) {
            CheckedIn(call, resp, CheckInGeneral(call, *req, context, mood, now));
          });
        });
  });
}

store::Written<v1::AttendanceRecord> AttendanceApi::CheckInGeneral(Call& call, const v1::CheckInRequest& req,
                                                                   const store::SessionContext& context,
                                                                   std::optional<int> mood, absl::Time now) {
  return store_.CheckInGeneral(call.caller(), context, req.client_id(), mood, now,
                               {"CheckIn", req, req.request_id()});
}

void AttendanceApi::CheckedIn(Call& call, v1::AttendanceRecord* resp,
                              const store::Written<v1::AttendanceRecord>& written) {
  *resp = written.response;
  call.Touch(resp->id());
  if (written.changed[0]) {
    metrics_.checkins.Increment();
    metrics_.records.Add({{"status", domain::StatusName(static_cast<domain::Status>(resp->status()))}})
        .Increment();
    Publish(call, v1::EVENT_KIND_CHECKED_IN, *resp);
  }
}

ServerUnaryReactor* AttendanceApi::CheckOut(CallbackServerContext* ctx, const v1::CheckOutRequest* req,
                                            v1::AttendanceRecord* resp) {
  return runner_.Unary(ctx, *req, {"CheckOut", Permission::kCheckIn, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "session_id", req->session_id());
    CheckId(v, "client_id", req->client_id());
    CheckRequestId(v, req->request_id());
    v.ThrowIfInvalid();
    call.Touch(req->session_id());
    call.Touch(req->client_id());
    // A cancelled session has no check-ins to close, so the roster load
    // alone decides; the store answers NOT_CHECKED_IN.
    Loaded loaded;
    try {
      loaded = LoadForWrite(call, req->session_id());
    } catch (const errors::RpcError& e) {
      if (e.status().error_code() != grpc::StatusCode::FAILED_PRECONDITION) throw;
      errors::Throw(errors::FailedPrecondition(
          "the client has not checked in to this session",
          {{"NOT_CHECKED_IN", "clients/" + req->client_id(), "session " + req->session_id() + " is cancelled"}}));
    }
    auto written = store_.CheckOut(call.caller(), loaded.context, req->client_id(), absl::Now(),
                                   {"CheckOut", *req, req->request_id()});
    *resp = written.response;
    call.Touch(resp->id());
    if (written.changed[0]) {
      metrics_.records.Add({{"status", domain::StatusName(static_cast<domain::Status>(resp->status()))}})
          .Increment();
      Publish(call, v1::EVENT_KIND_CHECKED_OUT, *resp);
    }
  });
}

ServerUnaryReactor* AttendanceApi::RecordAttendance(CallbackServerContext* ctx,
                                                    const v1::RecordAttendanceRequest* req,
                                                    v1::RecordAttendanceResponse* resp) {
  return runner_.Unary(ctx, *req, {"RecordAttendance", Permission::kAttendanceRecord, true}, [=, this](Call& call) {
    // Every client the form names, whatever the outcome.
    for (const auto& e : req->entries()) call.Touch(e.client_id());
    errors::Validator v;
    CheckId(v, "session_id", req->session_id());
    CheckRequestId(v, req->request_id());
    v.Require(!req->entries().empty(), "entries", "must list at least one client");
    std::set<std::string> seen;
    for (int i = 0; i < req->entries_size(); ++i) {
      const auto& e = req->entries(i);
      const std::string field = "entries[" + std::to_string(i) + "]";
      CheckId(v, field + ".client_id", e.client_id());
      v.Require(seen.insert(e.client_id()).second, field + ".client_id",
                "client " + e.client_id() + " is listed more than once");
      // Everything but the session length, which needs scheduling.
      std::string why = domain::CheckEntry(static_cast<domain::Status>(e.status()), e.minutes_attended(),
                                           e.note().size(), INT32_MAX);
      if (!why.empty()) v.Add(field + "." + why.substr(0, why.find(':')), why.substr(why.find(':') + 2));
    }
    v.ThrowIfInvalid();
    call.Touch(req->session_id());
    Loaded loaded = LoadForWrite(call, req->session_id());
    const int session_minutes = domain::SessionMinutes(loaded.context.start, loaded.context.end);
    for (int i = 0; i < req->entries_size(); ++i) {
      const auto& e = req->entries(i);
      std::string why = domain::CheckEntry(static_cast<domain::Status>(e.status()), e.minutes_attended(),
                                           e.note().size(), session_minutes);
      if (!why.empty()) {
        v.Add("entries[" + std::to_string(i) + "]." + why.substr(0, why.find(':')),
              why.substr(why.find(':') + 2));
      }
    }
    v.ThrowIfInvalid();
    std::vector<std::string> clients;
    std::vector<v1::AttendanceEntry> entries(req->entries().begin(), req->entries().end());
    for (const auto& e : entries) {
      clients.push_back(e.client_id());
    }
    RequireOnRoster(call, loaded, clients);
    auto written = store_.Record(call.caller(), loaded.context, entries,
                                 {"RecordAttendance", *req, req->request_id()});
    *resp = written.response;
    for (int i = 0; i < resp->records_size(); ++i) {
      const auto& r = resp->records(i);
      call.Touch(r.id());
      if (!written.changed[i]) continue;
      metrics_.records.Add({{"status", domain::StatusName(static_cast<domain::Status>(r.status()))}})
          .Increment();
      Publish(call, v1::EVENT_KIND_STATUS_RECORDED, r);
    }
  });
}

}  // namespace iop::attendance::api
