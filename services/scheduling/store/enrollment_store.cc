// Enrollment: memberships, the waitlist, rosters and weekly intensity.
// Seat counting happens under the group row lock (FOR UPDATE), so however
// many enrollments race for the last seat, exactly one gets it.
#include <set>

#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"
#include "scheduling/domain/cursor.h"
#include "scheduling/domain/enrollment.h"
#include "scheduling/store/schedule_rows.h"
#include "scheduling/store/schedule_store.h"

namespace iop::scheduling::store {
namespace {

using std::chrono::minutes;
constexpr auto kMembersTtl = minutes(10);
const char kClientType[] = "iop.scheduling.v1.Client";

v1::Membership ReadMembership(const pqxx::row& r) {
  v1::Membership m;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_group_id(r[2].c_str());
  m.set_client_id(r[3].c_str());
  m.set_status(static_cast<v1::MembershipStatus>(r[4].as<int>()));
  m.set_start_date(r[5].c_str());
  m.set_end_date(r[6].c_str());
  m.set_discharge_reason(r[7].c_str());
  m.set_discharge_type(static_cast<v1::DischargeType>(r[8].as<int>()));
  m.set_waitlist_position(r[9].as<int>());
  *m.mutable_create_time() = sql::TimestampFromMicros(r[10].as<int64_t>());
  *m.mutable_update_time() = sql::TimestampFromMicros(r[11].as<int64_t>());
  m.set_site_id(r[12].c_str());
  return m;
}

v1::Membership LoadMembership(pqxx::work& tx, const std::string& id) {
  return ReadMembership(tx.exec_prepared1("mem_get", id));
}

// The client's home site decides visibility, as for GetClient.
pqxx::row RequireClient(pqxx::work& tx, const auth::Caller& caller, const std::string& id) {
  auto r = tx.exec_prepared("client_site", caller.org, id);
  if (r.empty() || (caller.site_limited() && !caller.SeesSite(r[0][0].c_str()))) {
    errors::Throw(errors::NotFound(kClientType, id));
  }
  return r[0];
}

}  // namespace

v1::Membership ScheduleStore::EnrollClient(const auth::Caller& caller, const v1::EnrollClientRequest& req,
                                           const WriteKey& key) {
  return idempotency::WriteOnce<v1::Membership>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::GroupRecord g = rows::RequireGroup(tx, caller, req.group_id(), /*lock=*/true);
        pqxx::row client = RequireClient(tx, caller, req.client_id());
        if (g.group.status() == v1::GROUP_STATUS_CLOSED) {
          errors::Throw(errors::FailedPrecondition("the group is closed",
                                                   {{"GROUP_CLOSED", g.group.id(), "group " + g.group.id() + " is closed"}}));
        }
        const int program_age = tx.exec_prepared1("program_age", g.group.program_id())[0].as<int>();
        if (client[1].as<int>() != program_age) {
          errors::Throw(errors::FailedPrecondition(
              "the client's age group differs from the program's",
              {{"AGE_GROUP_MISMATCH", req.client_id(),
                "client " + req.client_id() + " is not in the age group program " + g.group.program_id() + " serves"}}));
        }
        if (!tx.exec_prepared("mem_open", req.group_id(), req.client_id()).empty()) {
          errors::Throw(errors::AlreadyExists("iop.scheduling.v1.Membership", req.client_id(),
                                              "client " + req.client_id() + " is already enrolled or waitlisted in group " +
                                                  req.group_id()));
        }
        const absl::CivilDay today = domain::TodayIn(g.series.tz);
        const absl::CivilDay start = req.start_date().empty() ? std::max(today, g.series.starts_on)
                                                              : *domain::ParseDate(req.start_date());
        const int active = tx.exec_prepared1("mem_count_active", req.group_id())[0].as<int>();
        const bool seated = active < g.group.max_size();

        rows::ConflictCheck check;
        check.from = std::max(start, today);
        check.to = domain::ConflictHorizonEnd(check.from, g.series.ends_on);
        check.own_group_id = g.group.id();
        check.check_resources = false;
        check.clients = {{req.client_id(), start, std::nullopt}};
        for (auto& s : rows::LoadSlots(tx, caller.org, {{g.group.id(), g}}, check.from, check.to)) {
          if (s.local_date >= check.from && s.local_date <= check.to) check.candidates.push_back(std::move(s));
        }
        rows::RejectConflicts(tx, caller.org, check, metrics_);

        std::string id = tx.exec_prepared1("mem_insert", caller.org, req.group_id(), req.client_id(),
                                           seated ? 1 : 2, domain::FormatDate(start), seated)[0].c_str();
        return LoadMembership(tx, id);
      },
      {.invalidate = [&](const v1::Membership&) { InvalidateMembers(caller.org, req.group_id()); },
       .announce =
           [&](const v1::Membership& m) {
             metrics_.Enrolled(m.status() == v1::MEMBERSHIP_STATUS_ACTIVE ? "active" : "waitlisted");
           }});
}

v1::DischargeClientResponse ScheduleStore::DischargeClient(const auth::Caller& caller,
                                                           const v1::DischargeClientRequest& req,
                                                           const WriteKey& key) {
  return idempotency::WriteOnce<v1::DischargeClientResponse>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::GroupRecord g = rows::RequireGroup(tx, caller, req.group_id(), /*lock=*/true);
        RequireClient(tx, caller, req.client_id());
        auto open = tx.exec_prepared("mem_open", req.group_id(), req.client_id());
        if (open.empty()) {
          errors::Throw(errors::FailedPrecondition(
              "the client is not enrolled in the group",
              {{"NOT_ENROLLED", req.client_id(), "client " + req.client_id() + " has no active or waitlisted membership in group " + req.group_id()}}));
        }
        const std::string membership_id = open[0][0].c_str();
        const bool was_active = open[0][1].as<int>() == v1::MEMBERSHIP_STATUS_ACTIVE;
        const absl::CivilDay start = *domain::ParseDate(open[0][2].c_str());
        const absl::CivilDay end = req.end_date().empty() ? domain::TodayIn(g.series.tz) : *domain::ParseDate(req.end_date());
        if (was_active && end < start) {
          errors::Throw(errors::InvalidArgument("end_date", "is before the membership's start_date " + domain::FormatDate(start)));
        }
        tx.exec_prepared("mem_discharge", membership_id, domain::FormatDate(end), req.reason(),
                         static_cast<int>(req.discharge_type()));
        v1::DischargeClientResponse resp;
        *resp.mutable_membership() = LoadMembership(tx, membership_id);
        if (was_active) {
          const int active = tx.exec_prepared1("mem_count_active", req.group_id())[0].as<int>();
          if (active < g.group.max_size()) {
            if (auto next = rows::PromoteNextWaitlisted(tx, caller.org, g, end + 1)) {
              *resp.mutable_promoted() = LoadMembership(tx, *next);
            }
          }
        }
        return resp;
      },
      {.invalidate =
           [&](const v1::DischargeClientResponse&) { InvalidateMembers(caller.org, req.group_id()); },
       .announce =
           [&](const v1::DischargeClientResponse& resp) {
             if (resp.has_promoted()) metrics_.Enrolled("promoted");
           }});
}

Listed<v1::Membership> ScheduleStore::ListMemberships(const auth::Caller& caller,
                                                      const v1::ListMembershipsRequest& req) {
  const std::string filters = "memberships|" + req.group_id() + "|" + req.client_id() + "|" +
                              std::to_string(req.status());
  paging::Page page = paging::Parse(req.page_size(), "", filters);
  auto after = domain::DecodeCursor(req.page_token(), filters, 3);
  int after_status = 0;
  int64_t after_seq = 0;
  if (!after.empty() && (!absl::SimpleAtoi(after[0], &after_status) || !absl::SimpleAtoi(after[2], &after_seq))) {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  }
  auto rows_out = pool_.Read([&](pqxx::work& tx) {
    if (!req.group_id().empty()) rows::RequireGroup(tx, caller, req.group_id());
    if (!req.client_id().empty()) RequireClient(tx, caller, req.client_id());
    return tx.exec_prepared("mem_list", caller.org, sql::TextArray(caller.sites), req.group_id(),
                            req.client_id(), static_cast<int>(req.status()), !after.empty(), after_status,
                            after.empty() ? "" : after[1], after_seq, page.size + 1);
  }, "membership_list");
  Listed<v1::Membership> out;
  const size_t n = std::min<size_t>(rows_out.size(), page.size);
  for (size_t i = 0; i < n; ++i) out.items.push_back(ReadMembership(rows_out[i]));
  if (rows_out.size() > n && n > 0) {
    const auto& last = rows_out[n - 1];
    out.next_page_token = domain::EncodeCursor({last[4].c_str(), last[14].c_str(), last[13].c_str()}, filters);
  }
  return out;
}

v1::GetSessionRosterResponse ScheduleStore::GetSessionRoster(const auth::Caller& caller,
                                                             const std::string& session_id) {
  v1::GetSessionRosterResponse resp;
  *resp.mutable_session() = GetSession(caller, session_id);
  const std::string group_id = resp.session().group_id();
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "members", group_id), kMembersTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) {
          std::vector<domain::SeatedMember> members;
          for (const auto& r : tx.exec_prepared("mem_seated", caller.org, group_id)) {
            domain::SeatedMember m{r[0].c_str(), r[1].c_str(), r[2].c_str(), *domain::ParseDate(r[3].c_str()), std::nullopt};
            if (std::string(r[4].c_str()).size() == 10) m.end_date = domain::ParseDate(r[4].c_str());
            members.push_back(std::move(m));
          }
          return std::optional<std::string>(domain::EncodeMembers(members));
        }, "roster_members");
      },
      "members");
  auto members = bytes ? domain::DecodeMembers(*bytes) : std::nullopt;
  if (!members) throw std::runtime_error("unreadable cached roster");
  for (const auto& m : domain::RosterOn(*members, *domain::ParseDate(resp.session().local_date()))) {
    auto* e = resp.add_entries();
    e->set_client_id(m.client_id);
    e->set_membership_id(m.membership_id);
    e->set_display_name(m.display_name);
  }
  return resp;
}

v1::GetClientIntensityResponse ScheduleStore::GetClientIntensity(const auth::Caller& caller,
                                                                 const std::string& client_id,
                                                                 absl::CivilDay week_start) {
  const absl::CivilDay week_end = week_start + 6;
  return pool_.Read([&](pqxx::work& tx) {
    RequireClient(tx, caller, client_id);
    auto all = tx.exec_prepared("mem_of_client", caller.org, client_id);
    if (all.empty()) {
      errors::Throw(errors::FailedPrecondition(
          "the client has never been enrolled", {{"NOT_ENROLLED", client_id, "client " + client_id + " has no memberships"}}));
    }
    // Seated memberships overlapping the week, per group.
    std::map<std::string, std::vector<domain::SeatedMember>> seats;
    for (const auto& r : all) {
      if (!r[3].as<bool>()) continue;
      domain::SeatedMember m;
      m.start_date = *domain::ParseDate(r[1].c_str());
      if (std::string(r[2].c_str()).size() == 10) m.end_date = domain::ParseDate(r[2].c_str());
      if (m.start_date > week_end || (m.end_date && *m.end_date < week_start)) continue;
      seats[r[0].c_str()].push_back(m);
    }
    std::vector<std::string> ids;
    for (const auto& [id, _] : seats) ids.push_back(id);
    auto groups = rows::LoadGroups(tx, caller.org, ids);
    v1::GetClientIntensityResponse resp;
    resp.set_client_id(client_id);
    resp.set_week_start(domain::FormatDate(week_start));
    double minutes = 0;
    for (const auto& s : rows::LoadSlots(tx, caller.org, groups, week_start, week_end)) {
      if (s.cancelled || s.local_date < week_start || s.local_date > week_end) continue;
      const auto& mine = seats[s.group_id];
      if (std::none_of(mine.begin(), mine.end(), [&](const auto& m) { return domain::ActiveOn(m, s.local_date); })) continue;
      minutes += absl::ToDoubleMinutes(s.end - s.start);
      resp.set_sessions_counted(resp.sessions_counted() + 1);
    }
    resp.set_scheduled_hours(minutes / 60.0);
    std::set<std::string> programs;
    for (const auto& [id, g] : groups) programs.insert(g.group.program_id());
    if (programs.empty()) {
      // No membership that week: the most recent one's program (rows are newest first).
      programs.insert(rows::LoadGroups(tx, caller.org, {all[0][0].c_str()}).begin()->second.group.program_id());
    }
    bool first = true;
    for (const auto& r : tx.exec_prepared("program_bounds", caller.org, sql::TextArray({programs.begin(), programs.end()}))) {
      const double lo = r[1].as<double>(), hi = r[2].as<double>();
      resp.set_min_weekly_hours(first ? lo : std::max(resp.min_weekly_hours(), lo));
      resp.set_max_weekly_hours(first ? hi : std::min(resp.max_weekly_hours(), hi));
      // Hours and bounds count every site; only the names are limited.
      if (caller.SeesSite(r[3].c_str())) resp.add_program_ids(r[0].c_str());
      first = false;
    }
    switch (domain::ClassifyIntensity(resp.scheduled_hours(), resp.min_weekly_hours(), resp.max_weekly_hours())) {
      case domain::Intensity::kBelow: resp.set_status(v1::INTENSITY_STATUS_BELOW); break;
      case domain::Intensity::kWithin: resp.set_status(v1::INTENSITY_STATUS_WITHIN); break;
      case domain::Intensity::kAbove: resp.set_status(v1::INTENSITY_STATUS_ABOVE); break;
    }
    return resp;
  }, "client_intensity");
}

}  // namespace iop::scheduling::store
