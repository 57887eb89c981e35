// Reads of one session and one client. What was recorded is always readable
// from this service's database; scheduling only adds what has not been
// recorded yet (UNRECORDED entries), so these reads degrade to "recorded
// only" instead of failing when scheduling is unreachable.
#include <map>
#include <set>

#include "attendance/api/attendance_api.h"
#include "attendance/api/helpers.h"

namespace iop::attendance::api {
namespace {

using auth::Permission;
using server::Call;

// The session as far as the stored records know it (scheduling down).
store::sched::Session SessionFromRecord(const store::Stored& s) {
  store::sched::Session out;
  out.set_id(s.record.session_id());
  out.set_org_id(s.record.org_id());
  out.set_group_id(s.record.group_id());
  out.set_site_id(s.record.site_id());
  out.set_program_id(s.record.program_id());
  out.set_local_date(s.record.local_date());
  *out.mutable_start_time() = ToTimestamp(s.session_start);
  *out.mutable_end_time() = ToTimestamp(s.session_end);
  out.set_status(store::sched::SESSION_STATUS_SCHEDULED);
  return out;
}

}  // namespace

ServerUnaryReactor* AttendanceApi::GetSessionAttendance(CallbackServerContext* ctx,
                                                        const v1::GetSessionAttendanceRequest* req,
                                                        v1::GetSessionAttendanceResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetSessionAttendance", Permission::kAttendanceRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "session_id", req->session_id());
    v.ThrowIfInvalid();
    call.Touch(req->session_id());
    std::vector<store::Stored> stored = store_.SessionRecords(call.caller(), req->session_id());
    std::map<std::string, v1::AttendanceRecord> by_client;
    for (auto& s : stored) by_client[s.record.client_id()] = s.record;

    std::optional<store::sched::GetSessionRosterResponse> roster;
    try {
      roster = scheduling_.Roster(call, req->session_id());
    } catch (const errors::RpcError& e) {
      if (!IsUnavailable(e) || stored.empty()) throw;
    }
    if (roster) {
      *resp->mutable_session() = roster->session();
      for (const auto& entry : roster->entries()) {  // scheduling orders by display name
        auto it = by_client.find(entry.client_id());
        if (it == by_client.end()) {
          *resp->add_entries() = Unrecorded(call.caller().org, roster->session(), entry.client_id());
        } else {
          *resp->add_entries() = it->second;
          by_client.erase(it);
        }
        call.Touch(entry.client_id());
      }
    } else {
      *resp->mutable_session() = SessionFromRecord(stored.front());
    }
    // Clients with a record who are no longer rostered (or every record
    // while scheduling is unreachable), by client_id.
    for (auto& [client, record] : by_client) {
      call.Touch(client);
      *resp->add_entries() = std::move(record);
    }
  });
}

ServerUnaryReactor* AttendanceApi::GetAttendanceHistory(CallbackServerContext* ctx,
                                                        const v1::GetAttendanceHistoryRequest* req,
                                                        v1::GetAttendanceHistoryResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetAttendanceHistory", Permission::kAttendanceRecord, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "session_id", req->session_id());
    CheckId(v, "client_id", req->client_id());
    v.ThrowIfInvalid();
    call.Touch(req->session_id());
    call.Touch(req->client_id());
    auto versions = store_.History(call.caller(), req->session_id(), req->client_id());
    if (versions.empty()) {
      errors::Throw(errors::NotFound("iop.attendance.v1.AttendanceRecord",
                                     req->session_id() + "/" + req->client_id()));
    }
    call.Touch(versions.front().id());
    for (auto& r : versions) *resp->add_versions() = std::move(r);
  });
}

ServerUnaryReactor* AttendanceApi::GetClientAttendance(CallbackServerContext* ctx,
                                                       const v1::GetClientAttendanceRequest* req,
                                                       v1::GetClientAttendanceResponse* resp) {
  return runner_.Unary(ctx, *req, {"GetClientAttendance", Permission::kAttendanceRead, true}, [=, this](Call& call) {
    errors::Validator v;
    CheckId(v, "client_id", req->client_id());
    absl::CivilDay first, last;
    CheckRange(v, req->start_date(), req->end_date(), &first, &last);
    v.ThrowIfInvalid();
    const std::string& client_id = req->client_id();
    call.Touch(client_id);
    const auth::Caller& caller = call.caller();

    // The streak may reach back before the range: read a year up to end_date.
    std::vector<store::Stored> recent =
        store_.Records(caller, {.client_id = client_id}, last - (kMaxRangeDays - 1), last);
    std::map<std::string, const store::Stored*> recorded;  // by session_id, in range
    for (const auto& s : recent) {
      absl::CivilDay day;
      if (domain::ParseDay(s.record.local_date(), &day) && day >= first) {
        recorded[s.record.session_id()] = &s;
      }
    }

    // Sessions the client was rostered for, from scheduling when it answers.
    std::vector<store::sched::Session> rostered;
    bool scheduling_up = true;
    try {
      scheduling_.Client(call, client_id);  // NOT_FOUND for unknown / other org
      auto memberships = scheduling_.Memberships(call, "", client_id);
      auto sessions = scheduling_.Sessions(call, "", client_id, absl::FromCivil(first - 1, absl::UTCTimeZone()),
                                           absl::FromCivil(last + 2, absl::UTCTimeZone()));
      for (auto& s : sessions) {
        absl::CivilDay day;
        if (!domain::ParseDay(s.local_date(), &day) || day < first || day > last) continue;
        bool member = false;
        for (const auto& m : memberships) member = member || (m.group_id() == s.group_id() && MemberOn(m, day));
        if (member || recorded.count(s.id())) rostered.push_back(std::move(s));
      }
    } catch (const errors::RpcError& e) {
      if (!IsUnavailable(e)) throw;
      scheduling_up = false;  // answer from what is recorded
    }

    std::vector<domain::SessionFact> facts;
    std::set<std::string> programs;
    std::set<std::string> listed;
    auto add = [&](v1::AttendanceRecord record, domain::SessionFact fact) {
      programs.insert(fact.program_id);
      facts.push_back(std::move(fact));
      *resp->add_records() = std::move(record);
    };
    for (const auto& s : rostered) {
      if (s.status() == store::sched::SESSION_STATUS_CANCELLED) {
        listed.insert(s.id());  // cancelled: neither listed nor counted
        continue;
      }
      listed.insert(s.id());
      auto it = recorded.find(s.id());
      if (it != recorded.end()) {
        add(it->second->record, store::FactOf(*it->second));
        continue;
      }
      domain::SessionFact f;
      f.session_id = s.id();
      f.group_id = s.group_id();
      f.program_id = s.program_id();
      f.site_id = s.site_id();
      domain::ParseDay(s.local_date(), &f.local_date);
      f.start = ToTime(s.start_time());
      f.end = ToTime(s.end_time());
      add(Unrecorded(caller.org, s, client_id), f);
    }
    for (const auto& [session_id, s] : recorded) {
      if (!listed.count(session_id)) add(s->record, store::FactOf(*s));
    }
    // Records by session start (the facts were built in the same order).
    std::vector<size_t> order(facts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return facts[a].start != facts[b].start ? facts[a].start < facts[b].start
                                              : facts[a].session_id < facts[b].session_id;
    });
    google::protobuf::RepeatedPtrField<v1::AttendanceRecord> sorted;
    for (size_t i : order) *sorted.Add() = resp->records(static_cast<int>(i));
    resp->mutable_records()->Swap(&sorted);

    domain::RulesByProgram rules = store_.Rules(caller, {programs.begin(), programs.end()});
    if (scheduling_up) {
      for (const auto& p : programs) {
        if (rules.count(p) || p.empty()) continue;
        try {
          rules[p] = RulesOf(scheduling_.Program(call, p));
        } catch (const errors::RpcError&) {
          // Defaults stand in for a program that cannot be read right now.
        }
      }
    }
    std::string zone = recent.empty() ? "" : recent.back().time_zone;
    if (zone.empty() && !rostered.empty() && scheduling_up) {
      try {
        zone = scheduling_.Site(call, rostered.front().site_id()).time_zone();
      } catch (const errors::RpcError&) {
      }
    }
    const absl::Time now = absl::Now();
    domain::Summary sum = domain::Summarize(facts, first, last, now, domain::LocalDay(now, ZoneOr(zone)), rules);
    std::vector<domain::SessionFact> history;
    for (const auto& s : recent) history.push_back(store::FactOf(s));
    domain::Streak streak = domain::CurrentUnexcusedStreak(history, last);

    resp->set_client_id(client_id);
    v1::AttendanceSummary* out = resp->mutable_summary();
    out->set_sessions_scheduled(sum.sessions_scheduled);
    out->set_sessions_attended(sum.sessions_attended);
    out->set_sessions_excused(sum.sessions_excused);
    out->set_sessions_unexcused(sum.sessions_unexcused);
    out->set_sessions_unrecorded(sum.sessions_unrecorded);
    out->set_attendance_rate(sum.attendance_rate);
    out->set_current_unexcused_streak(streak.length);
    for (const auto& w : sum.weeks) {
      auto* week = out->add_weeks();
      week->set_week_start(domain::FormatDay(w.week_start));
      week->set_hours_attended(w.hours_attended);
      week->set_hours_scheduled(w.hours_scheduled);
      week->set_min_weekly_hours(w.min_weekly_hours);
      week->set_compliant(w.compliant);
      week->set_complete(w.complete);
    }
    for (const auto& d : sum.billing_days) {
      auto* day = out->add_billing_days();
      day->set_local_date(domain::FormatDay(d.date));
      day->set_minutes_attended(d.minutes_attended);
      day->set_daily_minimum_minutes(d.daily_minimum_minutes);
      day->set_qualifies(d.qualifies);
    }
  });
}

}  // namespace iop::attendance::api
