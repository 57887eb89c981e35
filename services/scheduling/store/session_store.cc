// Sessions: listing (generated occurrences merged with stored rows), reads
// through the cache, and one-by-one changes that materialize a row.
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
constexpr auto kObjectTtl = minutes(10);
const char kSessionType[] = "iop.scheduling.v1.Session";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

void Upsert(pqxx::work& tx, const std::string& org, const domain::Slot& s) {
  tx.exec_prepared("sess_upsert", s.id, org, s.group_id,
                   s.occurrence_date ? domain::FormatDate(*s.occurrence_date) : "", Micros(s.start),
                   Micros(s.end), sql::TextArray(s.facilitator_ids), s.room_id,
                   s.cancelled ? static_cast<int>(v1::SESSION_STATUS_CANCELLED) : static_cast<int>(v1::SESSION_STATUS_SCHEDULED),
                   s.cancel_reason, s.one_off, s.rescheduled, s.original_start.has_value(),
                   s.original_start ? Micros(*s.original_start) : 0);
}

// Checks one new or moved session against everything else.
void RejectSessionConflicts(pqxx::work& tx, const std::string& org, const domain::Slot& slot,
                            SchedulingMetrics& metrics) {
  rows::ConflictCheck check;
  check.candidates = {slot};
  check.from = check.to = slot.local_date;
  check.own_group_id = slot.group_id;
  check.clients = rows::EnrolledClients(tx, slot.group_id, slot.local_date);
  rows::RejectConflicts(tx, org, check, metrics);
}

rows::FoundSession RequireSession(pqxx::work& tx, const auth::Caller& caller, const std::string& id) {
  auto found = rows::FindSession(tx, caller, id, /*lock_group=*/true);
  if (!found) errors::Throw(errors::NotFound(kSessionType, id));
  return std::move(*found);
}

// A one-off belongs to the group's life: its roster is the group's
// memberships, which do not reach outside the group's dates.
void RequireWithinGroupDates(const rows::GroupRecord& g, absl::CivilDay day) {
  const auto& series = g.series;
  if (day >= series.starts_on && (!series.ends_on || day <= *series.ends_on)) return;
  const std::string runs = "group " + g.group.id() + " runs from " + domain::FormatDate(series.starts_on) +
                           (series.ends_on ? " to " + domain::FormatDate(*series.ends_on) : " on");
  errors::Throw(errors::FailedPrecondition(
      "the session's date " + domain::FormatDate(day) + " is outside the group's dates",
      {{"OUTSIDE_GROUP_DATES", g.group.id(), runs}}));
}

}  // namespace

Listed<v1::Session> ScheduleStore::ListSessions(const auth::Caller& caller,
                                                const v1::ListSessionsRequest& req, absl::Time start,
                                                absl::Time end) {
  const std::string filters = "sessions|" + req.group_id() + "|" + req.site_id() + "|" +
                              req.facilitator_id() + "|" + req.client_id() + "|" +
                              std::to_string(req.status()) + "|" + std::to_string(Micros(start)) + "|" +
                              std::to_string(Micros(end));
  paging::Page page = paging::Parse(req.page_size(), "", filters);
  auto after = domain::DecodeCursor(req.page_token(), filters, 2);
  int64_t after_micros = 0;
  if (!after.empty() && !absl::SimpleAtoi(after[0], &after_micros)) {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  }
  return pool_.Read([&](pqxx::work& tx) {
    if (!req.group_id().empty()) rows::RequireGroup(tx, caller, req.group_id());
    if (!req.site_id().empty() &&
        (!caller.SeesSite(req.site_id()) || tx.exec_prepared("sched_site_exists", caller.org, req.site_id()).empty())) {
      errors::Throw(errors::NotFound("iop.scheduling.v1.Site", req.site_id()));
    }
    if (!req.facilitator_id().empty() &&
        tx.exec_prepared("staff_for_check", caller.org, sql::TextArray({req.facilitator_id()})).empty()) {
      errors::Throw(errors::NotFound("iop.scheduling.v1.Staff", req.facilitator_id()));
    }
    // The client's seated memberships decide which of its groups' sessions count.
    std::map<std::string, std::vector<domain::SeatedMember>> seats;
    if (!req.client_id().empty()) {
      auto client = tx.exec_prepared("client_site", caller.org, req.client_id());
      if (client.empty() || (caller.site_limited() && !caller.SeesSite(client[0][0].c_str()))) {
        errors::Throw(errors::NotFound("iop.scheduling.v1.Client", req.client_id()));
      }
      for (const auto& r : tx.exec_prepared("client_seats", caller.org, req.client_id())) {
        domain::SeatedMember m;
        m.start_date = *domain::ParseDate(r[1].c_str());
        if (std::string(r[2].c_str()).size() == 10) m.end_date = domain::ParseDate(r[2].c_str());
        seats[r[0].c_str()].push_back(m);
      }
    }
    std::vector<std::string> ids;
    for (const auto& r : tx.exec_prepared("sess_list_groups", caller.org, sql::TextArray(caller.sites),
                                          req.group_id(), req.site_id(), req.facilitator_id(), req.client_id())) {
      ids.push_back(r[0].c_str());
    }
    auto groups = rows::LoadGroups(tx, caller.org, ids);
    const absl::CivilDay from = absl::ToCivilDay(start, absl::UTCTimeZone()) - 1;
    const absl::CivilDay to = absl::ToCivilDay(end, absl::UTCTimeZone()) + 1;
    Listed<v1::Session> out;
    const domain::Slot* last = nullptr;
    size_t taken = 0;
    auto slots = rows::LoadSlots(tx, caller.org, groups, from, to);
    for (const auto& s : slots) {
      if (s.start < start || s.start >= end) continue;
      if (req.status() == v1::SESSION_STATUS_CANCELLED && !s.cancelled) continue;
      if (req.status() == v1::SESSION_STATUS_SCHEDULED && s.cancelled) continue;
      if (!req.facilitator_id().empty() &&
          std::find(s.facilitator_ids.begin(), s.facilitator_ids.end(), req.facilitator_id()) == s.facilitator_ids.end()) {
        continue;
      }
      if (!req.client_id().empty()) {
        const auto& mine = seats[s.group_id];
        if (std::none_of(mine.begin(), mine.end(), [&](const auto& m) { return domain::ActiveOn(m, s.local_date); })) continue;
      }
      if (!after.empty() && (Micros(s.start) < after_micros || (Micros(s.start) == after_micros && s.id <= after[1]))) {
        continue;
      }
      if (taken == static_cast<size_t>(page.size)) {
        out.next_page_token = domain::EncodeCursor({std::to_string(Micros(last->start)), last->id}, filters);
        break;
      }
      out.items.push_back(rows::ToSession(s, groups.at(s.group_id)));
      last = &s;
      ++taken;
    }
    return out;
  }, "session_list");
}

v1::Session ScheduleStore::GetSession(const auth::Caller& caller, const std::string& id) {
  if (id.empty()) errors::Throw(errors::InvalidArgument("id", "is required"));
  auto parsed = domain::ParseSessionId(id);
  if (!parsed) errors::Throw(errors::NotFound(kSessionType, id));
  v1::Group group;
  try {
    group = GetGroup(caller, parsed->group_id);
  } catch (const errors::RpcError&) {
    errors::Throw(errors::NotFound(kSessionType, id));
  }
  // The group's etag is part of the key: a group change retires every cached
  // session of the group at once; a change of one session invalidates its key.
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "session", id + "@" + group.etag()), kObjectTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto found = rows::FindSession(tx, caller, id);
          if (!found) return std::nullopt;
          return rows::ToSession(found->slot, found->group).SerializeAsString();
        }, "session_get");
      },
      "session");
  v1::Session out;
  if (!bytes || !out.ParseFromString(*bytes) || !caller.SeesSite(out.site_id())) {
    errors::Throw(errors::NotFound(kSessionType, id));
  }
  return out;
}

v1::Session ScheduleStore::CreateSession(const auth::Caller& caller, const v1::Session& in,
                                         const WriteKey& key) {
  return idempotency::WriteOnce<v1::Session>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::GroupRecord g = rows::RequireGroup(tx, caller, in.group_id(), /*lock=*/true);
        if (g.group.status() == v1::GROUP_STATUS_CLOSED) {
          errors::Throw(errors::FailedPrecondition("the group is closed",
                                                   {{"GROUP_CLOSED", g.group.id(), "group " + g.group.id() + " is closed"}}));
        }
        domain::Slot s;
        s.group_id = g.group.id();
        s.id = domain::OneOffId(g.group.id(), tx.exec_prepared1("random_token")[0].c_str());
        s.start = sql::TimeFromMicros(sql::MicrosFromTimestamp(in.start_time()));
        s.end = sql::TimeFromMicros(sql::MicrosFromTimestamp(in.end_time()));
        s.facilitator_ids = in.facilitator_ids().empty()
                                ? std::vector<std::string>(g.group.facilitator_ids().begin(), g.group.facilitator_ids().end())
                                : std::vector<std::string>(in.facilitator_ids().begin(), in.facilitator_ids().end());
        s.room_id = in.room_id().empty() ? g.group.room_id() : in.room_id();
        s.one_off = true;
        domain::Localize(s, g.series.tz);
        RequireWithinGroupDates(g, s.local_date);
        std::vector<errors::Violation> violations;
        rows::CheckResources(tx, caller.org, g.group.site_id(), s.facilitator_ids, s.room_id, g.group.max_size(),
                             "session.", violations);
        rows::ThrowIfViolations(violations, "the session does not fit its site");
        RejectSessionConflicts(tx, caller.org, s, metrics_);
        Upsert(tx, caller.org, s);
        return rows::ToSession(s, g);
      },
      {.announce = [&](const v1::Session&) { metrics_.SessionChanged("created"); }});
}

v1::Session ScheduleStore::CancelSession(const auth::Caller& caller, const std::string& id,
                                         const std::string& reason, const WriteKey& key) {
  std::string etag;
  return idempotency::WriteOnce<v1::Session>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::FoundSession found = RequireSession(tx, caller, id);
        etag = found.group.group.etag();
        if (found.slot.cancelled) return rows::ToSession(found.slot, found.group);
        found.slot.cancelled = true;
        found.slot.cancel_reason = reason;
        Upsert(tx, caller.org, found.slot);
        return rows::ToSession(found.slot, found.group);
      },
      {.invalidate = [&](const v1::Session&) { InvalidateSession(caller.org, id, etag); },
       .announce = [&](const v1::Session&) { metrics_.SessionChanged("cancelled"); }});
}

v1::Session ScheduleStore::RescheduleSession(const auth::Caller& caller,
                                             const v1::RescheduleSessionRequest& req,
                                             const WriteKey& key) {
  std::string etag;
  return idempotency::WriteOnce<v1::Session>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::FoundSession found = RequireSession(tx, caller, req.id());
        etag = found.group.group.etag();
        domain::Slot s = found.slot;
        if (s.cancelled) {
          errors::Throw(errors::FailedPrecondition(
              "the session is cancelled", {{"SESSION_CANCELLED", s.id, "session " + s.id + " is cancelled"}}));
        }
        const absl::Duration length =
            req.has_duration_minutes() ? absl::Minutes(req.duration_minutes()) : s.end - s.start;
        if (!s.original_start) s.original_start = s.start;
        s.start = sql::TimeFromMicros(sql::MicrosFromTimestamp(req.start_time()));
        s.end = s.start + length;
        s.rescheduled = true;
        if (!req.room_id().empty()) s.room_id = req.room_id();
        if (!req.facilitator_ids().empty()) s.facilitator_ids.assign(req.facilitator_ids().begin(), req.facilitator_ids().end());
        domain::Localize(s, found.group.series.tz);
        std::vector<errors::Violation> violations;
        rows::CheckResources(tx, caller.org, found.group.group.site_id(), s.facilitator_ids, s.room_id,
                             found.group.group.max_size(), "", violations);
        rows::ThrowIfViolations(violations, "the session does not fit its site");
        RejectSessionConflicts(tx, caller.org, s, metrics_);
        Upsert(tx, caller.org, s);
        return rows::ToSession(s, found.group);
      },
      {.invalidate = [&](const v1::Session&) { InvalidateSession(caller.org, req.id(), etag); },
       .announce = [&](const v1::Session&) { metrics_.SessionChanged("rescheduled"); }});
}

}  // namespace iop::scheduling::store
