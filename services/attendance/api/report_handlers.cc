// Group statistics and attendance alerts.
#include <map>
#include <set>

#include "attendance/api/attendance_api.h"
#include "attendance/api/helpers.h"
#include "attendance/domain/alerts.h"
#include "common/paging.h"

namespace iop::attendance::api {
namespace {

using auth::Permission;
using server::Call;

// Alerts look back this far for the start of an absence streak.
constexpr int kAlertLookbackDays = 120;

}  // namespace

ServerUnaryReactor* AttendanceApi::GetGroupAttendanceStats(CallbackServerContext* ctx,
                                                           const v1::GetGroupAttendanceStatsRequest* req,
                                                           v1::GetGroupAttendanceStatsResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetGroupAttendanceStats", Permission::kAttendanceRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "group_id", req->group_id());
    absl::CivilDay first, last;
    CheckRange(v, req->start_date(), req->end_date(), &first, &last);
    v.ThrowIfInvalid();
    call.Touch(req->group_id());
    scheduling_.Group(call, req->group_id());  // NOT_FOUND, site limits
    auto memberships = scheduling_.Memberships(call, req->group_id(), "");
    auto sessions = scheduling_.Sessions(call, req->group_id(), "", absl::FromCivil(first - 1, absl::UTCTimeZone()),
                                         absl::FromCivil(last + 2, absl::UTCTimeZone()));
    auto stored = store_.Records(call.caller(), {.group_id = req->group_id()}, first, last);
    std::map<std::string, std::map<std::string, v1::AttendanceStatus>> by_session;
    for (const auto& s : stored) by_session[s.record.session_id()][s.record.client_id()] = s.record.status();

    const absl::Time now = absl::Now();
    int counted = 0, places = 0, present = 0;
    for (const auto& s : sessions) {
      absl::CivilDay day;
      if (s.status() == store::sched::SESSION_STATUS_CANCELLED || !domain::ParseDay(s.local_date(), &day) ||
          day < first || day > last) {
        continue;
      }
      const auto& recorded = by_session[s.id()];
      if (ToTime(s.start_time()) > now && recorded.empty()) continue;  // future, nothing known
      ++counted;
      std::set<std::string> roster;
      for (const auto& m : memberships) {
        if (MemberOn(m, day)) roster.insert(m.client_id());
      }
      for (const auto& [client, status] : recorded) roster.insert(client);
      places += static_cast<int>(roster.size());
      for (const auto& [client, status] : recorded) {
        if (domain::IsAttended(static_cast<domain::Status>(status))) ++present;
      }
    }
    int discharged_early = 0;
    for (const auto& m : memberships) {
      absl::CivilDay end, start;
      if (m.status() != store::sched::MEMBERSHIP_STATUS_DISCHARGED || !domain::ParseDay(m.end_date(), &end) ||
          end < first || end > last) {
        continue;
      }
      // A membership that ended before it started was a waitlist removal.
      if (domain::ParseDay(m.start_date(), &start) && end < start) continue;
      if (m.discharge_type() == store::sched::DISCHARGE_TYPE_COMPLETED ||
          m.discharge_type() == store::sched::DISCHARGE_TYPE_GROUP_CLOSED) {
        continue;
      }
      ++discharged_early;
    }
    resp->set_group_id(req->group_id());
    resp->set_sessions_counted(counted);
    resp->set_attendance_rate(places > 0 ? static_cast<double>(present) / places : 0);
    resp->set_mean_group_size_present(counted > 0 ? static_cast<double>(present) / counted : 0);
    resp->set_mean_roster_size(counted > 0 ? static_cast<double>(places) / counted : 0);
    resp->set_clients_discharged_early(discharged_early);
  });
}

ServerUnaryReactor* AttendanceApi::ListAttendanceAlerts(CallbackServerContext* ctx,
                                                        const v1::ListAttendanceAlertsRequest* req,
                                                        v1::ListAttendanceAlertsResponse* resp) {
  return runner_.Unary(ctx, *req, {"ListAttendanceAlerts", Permission::kAttendanceRead, true}, [=, this](Call& call) {
    errors::Validator v;
    absl::CivilDay on_date;
    const bool fixed_date = !req->on_date().empty();
    if (fixed_date) v.Require(domain::ParseDay(req->on_date(), &on_date), "on_date", "must be a date \"YYYY-MM-DD\"");
    v.Require(v1::AlertKind_IsValid(req->kind()), "kind", "is not a known AlertKind");
    v.ThrowIfInvalid();
    const std::string filters = "alerts|" + req->site_id() + "|" + req->program_id() + "|" +
                                req->client_id() + "|" + std::to_string(req->kind()) + "|" + req->on_date();
    paging::Page page = paging::Parse(req->page_size(), req->page_token(), filters);
    const auth::Caller& caller = call.caller();
    if (!req->site_id().empty() && !caller.SeesSite(req->site_id())) {
      errors::Throw(errors::NotFound("iop.scheduling.v1.Site", req->site_id()));
    }
    // Filters name real things; checked with scheduling when it answers.
    try {
      if (!req->site_id().empty()) scheduling_.Site(call, req->site_id());
      if (!req->program_id().empty()) scheduling_.Program(call, req->program_id());
      if (!req->client_id().empty()) scheduling_.Client(call, req->client_id());
    } catch (const errors::RpcError& e) {
      if (!IsUnavailable(e)) throw;
    }

    const absl::Time now = absl::Now();
    // Without on_date each client is judged on today in its site's zone,
    // which is at most a day away from today in UTC.
    const absl::CivilDay today_utc = domain::LocalDay(now, absl::UTCTimeZone());
    const absl::CivilDay last = fixed_date ? on_date : today_utc + 1;
    auto stored = store_.Records(caller,
                                 {.client_id = req->client_id(), .site_id = req->site_id(),
                                  .program_id = req->program_id()},
                                 last - kAlertLookbackDays, last);
    std::map<std::string, std::vector<const store::Stored*>> by_client;
    std::set<std::string> programs;
    for (const auto& s : stored) {
      by_client[s.record.client_id()].push_back(&s);
      programs.insert(s.record.program_id());
    }
    domain::RulesByProgram rules = store_.Rules(caller, {programs.begin(), programs.end()});

    std::vector<domain::Alert> alerts;
    for (const auto& [client, records] : by_client) {
      std::vector<domain::SessionFact> facts;
      for (const auto* s : records) facts.push_back(store::FactOf(*s));
      absl::CivilDay day = fixed_date ? on_date : domain::LocalDay(now, ZoneOr(records.back()->time_zone));
      for (auto& a : domain::ClientAlerts(client, facts, day, rules)) {
        if (req->kind() == v1::ALERT_KIND_UNSPECIFIED || static_cast<int>(a.kind) == req->kind()) {
          alerts.push_back(std::move(a));
        }
      }
    }
    std::sort(alerts.begin(), alerts.end(), domain::AlertBefore);
    const size_t begin = std::min<size_t>(alerts.size(), static_cast<size_t>(page.after));
    const size_t end = std::min<size_t>(alerts.size(), begin + page.size);
    for (size_t i = begin; i < end; ++i) {
      const auto& a = alerts[i];
      auto* out = resp->add_alerts();
      out->set_kind(static_cast<v1::AlertKind>(a.kind));
      out->set_client_id(a.client_id);
      out->set_group_id(a.group_id);
      out->set_program_id(a.program_id);
      out->set_site_id(a.site_id);
      out->set_detail(a.detail);
      out->set_value(a.value);
      out->set_threshold(a.threshold);
      out->set_since(domain::FormatDay(a.since));
      call.Touch(a.client_id);
    }
    if (end < alerts.size()) resp->set_next_page_token(paging::NextToken(static_cast<int64_t>(end), filters));
  });
}

}  // namespace iop::attendance::api
