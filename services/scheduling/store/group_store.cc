// Groups: create, read, list, update (field mask + etag), close.
#include "absl/strings/numbers.h"
#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"
#include "scheduling/domain/cursor.h"
#include "scheduling/store/near_read.h"
#include "scheduling/store/schedule_rows.h"
#include "scheduling/store/schedule_store.h"

namespace iop::scheduling::store {
namespace {

using std::chrono::minutes;
constexpr auto kObjectTtl = minutes(10);
constexpr int kDefaultMaxSize = 12;
constexpr int kDefaultMinSize = 6;

std::string Weekdays(const v1::Recurrence& r) {
  std::vector<std::string> out;
  for (int d : r.weekdays()) out.push_back(std::to_string(d));
  return sql::TextArray(out);
}

std::vector<std::string> Ids(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return {ids.begin(), ids.end()};
}

bool SamePlan(const v1::Group& a, const v1::Group& b) {
  const auto &ra = a.recurrence(), &rb = b.recurrence();
  return Ids(a.facilitator_ids()) == Ids(b.facilitator_ids()) && a.room_id() == b.room_id() &&
         Weekdays(ra) == Weekdays(rb) && ra.start_local_time() == rb.start_local_time() &&
         ra.duration_minutes() == rb.duration_minutes();
}

void InsertPlan(pqxx::work& tx, const std::string& org, const v1::Group& g, absl::CivilDay from) {
  tx.exec_prepared("plan_upsert", g.id(), org, domain::FormatDate(from), Weekdays(g.recurrence()),
                   g.recurrence().start_local_time(), g.recurrence().duration_minutes(),
                   sql::TextArray(Ids(g.facilitator_ids())), g.room_id());
}

// Sessions of `rec` from `from` on over the conflict horizon.
rows::ConflictCheck ScheduleCheck(pqxx::work& tx, const std::string& org, const rows::GroupRecord& rec,
                                  absl::CivilDay from) {
  rows::ConflictCheck check;
  check.from = std::max(from, rec.series.starts_on);
  check.to = domain::ConflictHorizonEnd(check.from, rec.series.ends_on);
  check.exclude_group_id = rec.group.id();
  check.own_group_id = rec.group.id();
  if (check.to < check.from) return check;
  for (auto& s : rows::LoadSlots(tx, org, {{rec.group.id(), rec}}, check.from, check.to)) {
    if (s.local_date >= check.from && s.local_date <= check.to) check.candidates.push_back(std::move(s));
  }
  return check;
}

// Seats waitlisted members in waitlist order while the group has room.
int PromoteWaitlisted(pqxx::work& tx, const std::string& org, const rows::GroupRecord& group,
                      absl::CivilDay first_day) {
  int promoted = 0;
  int active = tx.exec_prepared1("mem_count_active", group.group.id())[0].as<int>();
  while (active < group.group.max_size() && rows::PromoteNextWaitlisted(tx, org, group, first_day)) {
    ++active;
    ++promoted;
  }
  return promoted;
}

}  // namespace

ScheduleStore::ScheduleStore(db::Pool& pool, cache::Cache& cache, SchedulingMetrics& metrics)
    : pool_(pool), cache_(cache), metrics_(metrics) {
  Prepare();
}

void ScheduleStore::InvalidateGroup(const std::string& org, const std::string& group_id) {
  cache_.Invalidate({cache::Key(org, "group", group_id)});
}
void ScheduleStore::InvalidateMembers(const std::string& org, const std::string& group_id) {
  cache_.Invalidate({cache::Key(org, "members", group_id)});
}
void ScheduleStore::InvalidateSession(const std::string& org, const std::string& session_id,
                                      const std::string& group_etag) {
  cache_.Invalidate({cache::Key(org, "session", session_id + "@" + group_etag)});
}

v1::Group ScheduleStore::CreateGroup(const auth::Caller& caller, const v1::Group& in,
                                     const WriteKey& key) {
  return idempotency::WriteOnce<v1::Group>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto program = tx.exec_prepared("program_site", caller.org, in.program_id());
        if (program.empty() || !caller.SeesSite(program[0][0].c_str())) {
          errors::Throw(errors::NotFound("iop.scheduling.v1.Program", in.program_id()));
        }
        v1::Group g = in;
        g.set_site_id(program[0][0].c_str());
        std::vector<errors::Violation> violations;
        const int capacity = rows::CheckResources(tx, caller.org, g.site_id(), Ids(g.facilitator_ids()),
                                                  g.room_id(), g.max_size(), "group.", violations);
        if (g.max_size() == 0) g.set_max_size(capacity > 0 ? std::min(kDefaultMaxSize, capacity) : kDefaultMaxSize);
        if (g.min_size() == 0) g.set_min_size(std::min(kDefaultMinSize, g.max_size()));
        if (g.max_size() < g.min_size()) {
          errors::Throw(errors::InvalidArgument("group.max_size", "must be at least min_size (" +
                                                                      std::to_string(g.min_size()) + ")"));
        }
        rows::ThrowIfViolations(violations, "the group does not fit its site");
        const auto& r = g.recurrence();
        std::string id = tx.exec_prepared1(
            "grp_insert", caller.org, g.program_id(), g.site_id(), g.display_name(),
            static_cast<int>(g.modality()), sql::TextArray(Ids(g.facilitator_ids())), g.room_id(),
            g.min_size(), g.max_size(), g.curriculum_track_id(), Weekdays(r), r.start_local_time(),
            r.duration_minutes(), r.starts_on(), r.ends_on())[0].c_str();
        g.set_id(id);
        InsertPlan(tx, caller.org, g, *domain::ParseDate(r.starts_on()));
        rows::GroupRecord rec = rows::RequireGroup(tx, caller, id);
        rows::RejectConflicts(tx, caller.org, ScheduleCheck(tx, caller.org, rec, domain::TodayIn(rec.series.tz)),
                              metrics_);
        return rec.group;
      },
      {.announce = [&](const v1::Group&) { metrics_.GroupCreated(); }});
}

v1::Group ScheduleStore::GetGroup(const auth::Caller& caller, const std::string& id) {
  if (id.empty()) errors::Throw(errors::InvalidArgument("id", "is required"));
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "group", id), kObjectTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto groups = rows::LoadGroups(tx, caller.org, {id});
          if (groups.empty()) return std::nullopt;
          return groups.begin()->second.group.SerializeAsString();
        }, "group_get");
      },
      "group", cache::KeepNear::kYes);
  v1::Group g;
  if (!bytes || !g.ParseFromString(*bytes) || !caller.SeesSite(g.site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Group", id));
  }
  return g;
}

bool ScheduleStore::PeekGroup(const auth::Caller& caller, const std::string& id, v1::Group* out) {
  return PeekVisible(cache_, caller, "group", id, out, [](const auth::Caller& c, const v1::Group& g) {
    return c.SeesSite(g.site_id());
  });
}

Listed<v1::Group> ScheduleStore::ListGroups(const auth::Caller& caller, const v1::ListGroupsRequest& req) {
  const std::string filters = "groups|" + req.site_id() + "|" + req.program_id() + "|" +
                              req.facilitator_id() + "|" + std::to_string(req.modality()) + "|" +
                              std::to_string(req.status());
  paging::Page page = paging::Parse(req.page_size(), "", filters);
  auto after = domain::DecodeCursor(req.page_token(), filters, 2);
  int64_t after_seq = 0;
  if (!after.empty() && !absl::SimpleAtoi(after[1], &after_seq)) {
    errors::Throw(errors::InvalidArgument("page_token", "is not a token this list returned"));
  }
  auto rows_out = pool_.Read([&](pqxx::work& tx) {
    if (!req.site_id().empty() &&
        (!caller.SeesSite(req.site_id()) || tx.exec_prepared("sched_site_exists", caller.org, req.site_id()).empty())) {
      errors::Throw(errors::NotFound("iop.scheduling.v1.Site", req.site_id()));
    }
    if (!req.program_id().empty()) {
      auto p = tx.exec_prepared("program_site", caller.org, req.program_id());
      if (p.empty() || !caller.SeesSite(p[0][0].c_str())) {
        errors::Throw(errors::NotFound("iop.scheduling.v1.Program", req.program_id()));
      }
    }
    if (!req.facilitator_id().empty() &&
        tx.exec_prepared("staff_for_check", caller.org, sql::TextArray({req.facilitator_id()})).empty()) {
      errors::Throw(errors::NotFound("iop.scheduling.v1.Staff", req.facilitator_id()));
    }
    return tx.exec_prepared("grp_list", caller.org, sql::TextArray(caller.sites), req.site_id(),
                            req.program_id(), req.facilitator_id(), static_cast<int>(req.modality()),
                            static_cast<int>(req.status()), !after.empty(),
                            after.empty() ? "" : after[0], after_seq, page.size + 1);
  });
  Listed<v1::Group> out;
  const size_t n = std::min<size_t>(rows_out.size(), page.size);
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(rows_out[i][0].c_str());
  auto groups = pool_.Read([&](pqxx::work& tx) { return rows::LoadGroups(tx, caller.org, ids); });
  for (const auto& id : ids) {
    if (auto it = groups.find(id); it != groups.end()) out.items.push_back(it->second.group);
  }
  if (rows_out.size() > n && n > 0) {
    out.next_page_token = domain::EncodeCursor({rows_out[n - 1][1].c_str(), rows_out[n - 1][2].c_str()}, filters);
  }
  return out;
}

v1::Group ScheduleStore::UpdateGroup(const auth::Caller& caller, const std::string& id,
                                     const std::string& etag, const GroupChange& apply,
                                     const WriteKey& key) {
  int promoted = 0;
  return idempotency::WriteOnce<v1::Group>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        promoted = 0;
        rows::GroupRecord rec = rows::RequireGroup(tx, caller, id, /*lock=*/true);
        if (!etag.empty() && etag != rec.group.etag()) {
          errors::Throw(errors::Aborted("group " + id + " changed since it was read (etag " + etag +
                                        ", now " + rec.group.etag() + "); read it again"));
        }
        if (rec.group.status() == v1::GROUP_STATUS_CLOSED) {
          errors::Throw(errors::FailedPrecondition("the group is closed", {{"GROUP_CLOSED", id, "group " + id + " is closed"}}));
        }
        v1::Group next = apply(rec.group);
        const absl::CivilDay today = domain::TodayIn(rec.series.tz);
        const auto& r = next.recurrence();
        const absl::CivilDay starts_on = *domain::ParseDate(r.starts_on());
        if (r.starts_on() != rec.group.recurrence().starts_on() && rec.series.starts_on <= today) {
          errors::Throw(errors::InvalidArgument("group.recurrence.starts_on",
                                                "cannot change once the group has started meeting"));
        }
        std::vector<errors::Violation> violations;
        rows::CheckResources(tx, caller.org, next.site_id(), Ids(next.facilitator_ids()), next.room_id(),
                             next.max_size(), "group.", violations);
        rows::ThrowIfViolations(violations, "the group does not fit its site");
        const bool plan_changed = !SamePlan(rec.group, next);
        if (r.starts_on() != rec.group.recurrence().starts_on()) {
          // Not started yet: the new plan is the whole history.
          tx.exec_prepared("plan_delete_from", id, "1900-01-01");
          InsertPlan(tx, caller.org, next, starts_on);
        } else if (plan_changed) {
          const absl::CivilDay from = std::max(today, starts_on);
          tx.exec_prepared("plan_delete_from", id, domain::FormatDate(from + 1));
          InsertPlan(tx, caller.org, next, from);
        }
        if (!r.ends_on().empty()) {
          tx.exec_prepared("sess_delete_after", id,
                           absl::ToUnixMicros(absl::FromCivil(*domain::ParseDate(r.ends_on()) + 1, rec.series.tz)));
        }
        tx.exec_prepared("grp_update", caller.org, id, next.display_name(), static_cast<int>(next.modality()),
                         sql::TextArray(Ids(next.facilitator_ids())), next.room_id(), next.min_size(),
                         next.max_size(), next.curriculum_track_id(), Weekdays(r), r.start_local_time(),
                         r.duration_minutes(), r.starts_on(), r.ends_on());
        rows::GroupRecord updated = rows::RequireGroup(tx, caller, id);
        rows::ConflictCheck check = ScheduleCheck(tx, caller.org, updated, today);
        check.clients = rows::EnrolledClients(tx, id, check.from);
        rows::RejectConflicts(tx, caller.org, check, metrics_);
        if (next.max_size() > rec.group.max_size()) promoted = PromoteWaitlisted(tx, caller.org, updated, today);
        return updated.group;
      },
      {.invalidate =
           [&](const v1::Group&) {
             InvalidateGroup(caller.org, id);
             InvalidateMembers(caller.org, id);
           },
       .announce =
           [&](const v1::Group&) {
             for (int i = 0; i < promoted; ++i) metrics_.Enrolled("promoted");
           }});
}

v1::Group ScheduleStore::CloseGroup(const auth::Caller& caller, const v1::CloseGroupRequest& req,
                                    const WriteKey& key) {
  return idempotency::WriteOnce<v1::Group>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        rows::GroupRecord rec = rows::RequireGroup(tx, caller, req.id(), /*lock=*/true);
        if (!req.etag().empty() && req.etag() != rec.group.etag()) {
          errors::Throw(errors::Aborted("group " + req.id() + " changed since it was read; read it again"));
        }
        if (rec.group.status() == v1::GROUP_STATUS_CLOSED) {
          errors::Throw(errors::FailedPrecondition("the group is already closed",
                                                   {{"GROUP_CLOSED", req.id(), "group " + req.id() + " is closed"}}));
        }
        absl::CivilDay end = req.end_date().empty() ? domain::TodayIn(rec.series.tz) : *domain::ParseDate(req.end_date());
        if (rec.series.ends_on && *rec.series.ends_on < end) end = *rec.series.ends_on;
        const std::string end_text = domain::FormatDate(end);
        tx.exec_prepared("sess_delete_after", req.id(), absl::ToUnixMicros(absl::FromCivil(end + 1, rec.series.tz)));
        tx.exec_prepared("mem_close_all", req.id(), end_text);
        tx.exec_prepared("grp_close", caller.org, req.id(), end_text, req.reason());
        return rows::RequireGroup(tx, caller, req.id()).group;
      },
      {.invalidate = [&](const v1::Group&) {
        InvalidateGroup(caller.org, req.id());
        InvalidateMembers(caller.org, req.id());
      }});
}

}  // namespace iop::scheduling::store
