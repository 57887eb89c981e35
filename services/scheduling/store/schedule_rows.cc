#include "scheduling/store/schedule_rows.h"

#include <algorithm>
#include <set>

#include "common/sql.h"

namespace iop::scheduling::store::rows {
namespace {

// An instant bound as microseconds since the epoch.
std::string Ts(int n) { return sql::MicrosParam(n); }

const std::string kGroupCols =
    "g.id, g.org_id, g.program_id, g.site_id, g.display_name, g.modality, g.facilitator_ids, "
    "coalesce(g.room_id, ''), g.min_size, g.max_size, g.curriculum_track_id, g.weekdays, "
    "g.start_local_time, g.duration_minutes, g.starts_on::text, coalesce(g.ends_on::text, ''), "
    "g.status, g.close_reason, g.version, " + sql::EpochMicros("g.create_time") + ", " +
    sql::EpochMicros("g.update_time") + ", g.seq, s.time_zone";

const std::string kSessionCols =
    "id, group_id, coalesce(occurrence_date::text, ''), " + sql::EpochMicros("start_time") + ", " +
    sql::EpochMicros("end_time") + ", facilitator_ids, coalesce(room_id, ''), status, cancel_reason, "
    "one_off, rescheduled, coalesce(" + sql::EpochMicros("original_start_time") + ", 0), "
    "original_start_time IS NOT NULL";

std::vector<int> IntArray(const std::string& literal) {
  std::vector<int> out;
  for (const auto& s : sql::ParseTextArray(literal)) out.push_back(std::stoi(s));
  return out;
}

std::vector<std::string> Strings(const std::string& literal) { return sql::ParseTextArray(literal); }

GroupRecord ReadGroup(const pqxx::row& r) {
  GroupRecord rec;
  v1::Group& g = rec.group;
  g.set_id(r[0].c_str());
  g.set_org_id(r[1].c_str());
  g.set_program_id(r[2].c_str());
  g.set_site_id(r[3].c_str());
  g.set_display_name(r[4].c_str());
  g.set_modality(static_cast<iop::common::v1::Modality>(r[5].as<int>()));
  for (auto& f : Strings(r[6].c_str())) g.add_facilitator_ids(f);
  g.set_room_id(r[7].c_str());
  g.set_min_size(r[8].as<int>());
  g.set_max_size(r[9].as<int>());
  g.set_curriculum_track_id(r[10].c_str());
  auto* rec_pb = g.mutable_recurrence();
  for (int d : IntArray(r[11].c_str())) rec_pb->add_weekdays(static_cast<iop::common::v1::Weekday>(d));
  rec_pb->set_start_local_time(r[12].c_str());
  rec_pb->set_duration_minutes(r[13].as<int>());
  rec_pb->set_starts_on(r[14].c_str());
  rec_pb->set_ends_on(r[15].c_str());
  g.set_status(static_cast<v1::GroupStatus>(r[16].as<int>()));
  g.set_close_reason(r[17].c_str());
  g.set_etag(Etag(r[18].as<int64_t>()));
  *g.mutable_create_time() = sql::TimestampFromMicros(r[19].as<int64_t>());
  *g.mutable_update_time() = sql::TimestampFromMicros(r[20].as<int64_t>());
  rec.seq = r[21].as<int64_t>();
  domain::Series& s = rec.series;
  s.group_id = g.id();
  s.site_id = g.site_id();
  s.program_id = g.program_id();
  if (!absl::LoadTimeZone(r[22].c_str(), &s.tz)) throw std::runtime_error("unknown site time zone");
  s.starts_on = *domain::ParseDate(g.recurrence().starts_on());
  if (!g.recurrence().ends_on().empty()) s.ends_on = domain::ParseDate(g.recurrence().ends_on());
  return rec;
}

domain::Slot ReadStored(const pqxx::row& r) {
  domain::Slot s;
  s.id = r[0].c_str();
  s.group_id = r[1].c_str();
  if (!r[2].is_null() && std::string(r[2].c_str()).size() == 10) s.occurrence_date = domain::ParseDate(r[2].c_str());
  s.start = sql::TimeFromMicros(r[3].as<int64_t>());
  s.end = sql::TimeFromMicros(r[4].as<int64_t>());
  s.facilitator_ids = Strings(r[5].c_str());
  s.room_id = r[6].c_str();
  s.cancelled = r[7].as<int>() == v1::SESSION_STATUS_CANCELLED;
  s.cancel_reason = r[8].c_str();
  s.one_off = r[9].as<bool>();
  s.rescheduled = r[10].as<bool>();
  if (r[12].as<bool>()) s.original_start = sql::TimeFromMicros(r[11].as<int64_t>());
  return s;
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time DayStartUtc(absl::CivilDay d) { return absl::FromCivil(d, absl::UTCTimeZone()); }

}  // namespace

std::string Etag(int64_t version) { return "v" + std::to_string(version); }

void Prepare(db::Pool& pool) {
  const std::string from = " FROM groups g JOIN sites s ON s.org_id = g.org_id AND s.id = g.site_id"
                           " WHERE g.org_id = $1 AND g.id = ANY($2::text[])";
  pool.Prepare("grp_by_ids", "SELECT " + kGroupCols + from);
  pool.Prepare("grp_by_ids_lock", "SELECT " + kGroupCols + from + " ORDER BY g.id FOR UPDATE OF g");
  pool.Prepare("plans_by_groups",
               "SELECT group_id, valid_from::text, weekdays, start_local_time, duration_minutes, "
               "facilitator_ids, coalesce(room_id, '') FROM group_plans "
               "WHERE org_id = $1 AND group_id = ANY($2::text[])");
  pool.Prepare("srows_window", "SELECT " + kSessionCols +
                                   " FROM sessions WHERE org_id = $1 AND group_id = ANY($2::text[])"
                                   " AND ((start_time >= " + Ts(3) + " AND start_time < " + Ts(4) +
                                   ") OR occurrence_date BETWEEN $5::date AND $6::date)");
  pool.Prepare("srow_by_id", "SELECT " + kSessionCols + " FROM sessions WHERE org_id = $1 AND id = $2");
  pool.Prepare("staff_for_check", "SELECT id, site_ids FROM staff WHERE org_id = $1 AND id = ANY($2::text[])");
  pool.Prepare("room_for_check", "SELECT site_id, capacity FROM rooms WHERE org_id = $1 AND id = $2");
  pool.Prepare("advisory_lock", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
  pool.Prepare("conflict_groups",
               "SELECT p.group_id FROM group_plans p JOIN groups g ON g.id = p.group_id "
               "WHERE p.org_id = $1 AND (p.facilitator_ids && $2::text[] OR p.room_id = ANY($3::text[])) "
               "AND g.starts_on <= $5::date AND (g.ends_on IS NULL OR g.ends_on >= $4::date) "
               "UNION SELECT group_id FROM sessions WHERE org_id = $1 "
               "AND (facilitator_ids && $2::text[] OR room_id = ANY($3::text[])) "
               "AND start_time >= " + Ts(6) + " AND start_time < " + Ts(7));
  pool.Prepare("enrolled_clients",
               "SELECT client_id, start_date::text, coalesce(end_date::text, '') FROM memberships "
               "WHERE group_id = $1 AND seated AND status <> 2 AND (end_date IS NULL OR end_date >= $2::date)");
  pool.Prepare("mem_waitlist",
               "SELECT id, client_id, start_date::text FROM memberships WHERE group_id = $1 AND status = 2 "
               "ORDER BY seq FOR UPDATE");
  pool.Prepare("mem_promote",
               "UPDATE memberships SET status = 1, seated = true, start_date = greatest(start_date, $2::date), "
               "update_time = now() WHERE id = $1");
  pool.Prepare("client_other_memberships",
               "SELECT group_id, start_date::text, coalesce(end_date::text, '') FROM memberships "
               "WHERE org_id = $1 AND client_id = $2 AND seated AND status <> 2 AND group_id <> $3 "
               "AND (end_date IS NULL OR end_date >= $4::date)");
}

std::map<std::string, GroupRecord> LoadGroups(pqxx::work& tx, const std::string& org,
                                              const std::vector<std::string>& ids, bool lock) {
  std::map<std::string, GroupRecord> out;
  if (ids.empty()) return out;
  const std::string id_array = sql::TextArray(ids);
  for (const auto& r : tx.exec_prepared(lock ? "grp_by_ids_lock" : "grp_by_ids", org, id_array)) {
    GroupRecord rec = ReadGroup(r);
    out.emplace(rec.group.id(), std::move(rec));
  }
  for (const auto& r : tx.exec_prepared("plans_by_groups", org, id_array)) {
    auto it = out.find(r[0].c_str());
    if (it == out.end()) continue;
    domain::Plan p;
    p.valid_from = *domain::ParseDate(r[1].c_str());
    p.weekdays = domain::MaskOf(IntArray(r[2].c_str()));
    p.start_minute = domain::ParseLocalTime(r[3].c_str()).value_or(0);
    p.duration_minutes = r[4].as<int>();
    p.facilitator_ids = Strings(r[5].c_str());
    p.room_id = r[6].c_str();
    it->second.series.plans.push_back(std::move(p));
  }
  return out;
}

GroupRecord RequireGroup(pqxx::work& tx, const auth::Caller& caller, const std::string& id, bool lock) {
  auto groups = LoadGroups(tx, caller.org, {id}, lock);
  auto it = groups.find(id);
  if (it == groups.end() || !caller.SeesSite(it->second.group.site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Group", id));
  }
  return std::move(it->second);
}

std::vector<domain::Slot> LoadStoredSlots(pqxx::work& tx, const std::string& org,
                                          const std::map<std::string, GroupRecord>& groups,
                                          absl::CivilDay from, absl::CivilDay to) {
  std::vector<domain::Slot> out;
  if (groups.empty()) return out;
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups) ids.push_back(id);
  auto rows = tx.exec_prepared("srows_window", org, sql::TextArray(ids), Micros(DayStartUtc(from - 1)),
                               Micros(DayStartUtc(to + 2)), domain::FormatDate(from),
                               domain::FormatDate(to));
  for (const auto& r : rows) {
    domain::Slot s = ReadStored(r);
    domain::Localize(s, groups.at(s.group_id).series.tz);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<domain::Slot> LoadSlots(pqxx::work& tx, const std::string& org,
                                    const std::map<std::string, GroupRecord>& groups,
                                    absl::CivilDay from, absl::CivilDay to) {
  std::vector<domain::Slot> generated;
  for (const auto& [id, g] : groups) {
    auto slots = domain::Expand(g.series, from - 1, to + 1);
    generated.insert(generated.end(), std::make_move_iterator(slots.begin()),
                     std::make_move_iterator(slots.end()));
  }
  return domain::Merge(std::move(generated), LoadStoredSlots(tx, org, groups, from - 1, to + 1));
}

std::optional<FoundSession> FindSession(pqxx::work& tx, const auth::Caller& caller,
                                        const std::string& id, bool lock_group) {
  auto parsed = domain::ParseSessionId(id);
  if (!parsed) return std::nullopt;
  auto groups = LoadGroups(tx, caller.org, {parsed->group_id}, lock_group);
  auto it = groups.find(parsed->group_id);
  if (it == groups.end() || !caller.SeesSite(it->second.group.site_id())) return std::nullopt;
  GroupRecord& g = it->second;
  auto row = tx.exec_prepared("srow_by_id", caller.org, id);
  if (!row.empty()) {
    domain::Slot s = ReadStored(row[0]);
    if (s.group_id != g.group.id()) return std::nullopt;
    domain::Localize(s, g.series.tz);
    return FoundSession{std::move(g), std::move(s)};
  }
  if (!parsed->occurrence_date) return std::nullopt;
  auto occ = domain::OccurrenceOn(g.series, *parsed->occurrence_date);
  if (!occ) return std::nullopt;
  return FoundSession{std::move(g), std::move(*occ)};
}

v1::Session ToSession(const domain::Slot& slot, const GroupRecord& g) {
  v1::Session s;
  s.set_id(slot.id);
  s.set_org_id(g.group.org_id());
  s.set_group_id(g.group.id());
  s.set_site_id(g.group.site_id());
  s.set_program_id(g.group.program_id());
  *s.mutable_start_time() = sql::TimestampFromMicros(Micros(slot.start));
  *s.mutable_end_time() = sql::TimestampFromMicros(Micros(slot.end));
  s.set_local_date(domain::FormatDate(slot.local_date));
  s.set_local_start_time(domain::FormatLocalTime(slot.local_minute));
  s.set_status(slot.cancelled ? v1::SESSION_STATUS_CANCELLED : v1::SESSION_STATUS_SCHEDULED);
  for (const auto& f : slot.facilitator_ids) s.add_facilitator_ids(f);
  s.set_room_id(slot.room_id);
  s.set_cancel_reason(slot.cancel_reason);
  s.set_one_off(slot.one_off);
  s.set_rescheduled(slot.rescheduled);
  if (slot.original_start) *s.mutable_original_start_time() = sql::TimestampFromMicros(Micros(*slot.original_start));
  return s;
}

int CheckResources(pqxx::work& tx, const std::string& org, const std::string& site_id,
                   const std::vector<std::string>& facilitator_ids, const std::string& room_id,
                   int max_size, const std::string& field_prefix,
                   std::vector<errors::Violation>& violations) {
  if (!facilitator_ids.empty()) {
    std::map<std::string, std::vector<std::string>> found;
    for (const auto& r : tx.exec_prepared("staff_for_check", org, sql::TextArray(facilitator_ids))) {
      found[r[0].c_str()] = Strings(r[1].c_str());
    }
    for (const auto& f : facilitator_ids) {
      auto it = found.find(f);
      if (it == found.end()) errors::Throw(errors::NotFound("iop.scheduling.v1.Staff", f));
      const auto& sites = it->second;
      if (!sites.empty() && std::find(sites.begin(), sites.end(), site_id) == sites.end()) {
        violations.push_back({"FACILITATOR_NOT_AT_SITE", f,
                              field_prefix + "facilitator_ids: staff " + f + " does not work at site " + site_id});
      }
    }
  }
  if (room_id.empty()) return 0;
  auto room = tx.exec_prepared("room_for_check", org, room_id);
  if (room.empty()) errors::Throw(errors::NotFound("iop.scheduling.v1.Room", room_id));
  if (std::string(room[0][0].c_str()) != site_id) {
    violations.push_back({"ROOM_NOT_AT_SITE", room_id,
                          field_prefix + "room_id: room " + room_id + " is not at site " + site_id});
  }
  const int capacity = room[0][1].as<int>();
  if (capacity > 0 && max_size > capacity) {
    violations.push_back({"ROOM_CAPACITY", room_id,
                          "max_size " + std::to_string(max_size) + " is above the capacity " +
                              std::to_string(capacity) + " of room " + room_id});
  }
  return capacity;
}

void ThrowIfViolations(const std::vector<errors::Violation>& violations, const std::string& summary) {
  if (!violations.empty()) errors::Throw(errors::FailedPrecondition(summary, violations));
}

std::vector<ClientWindow> EnrolledClients(pqxx::work& tx, const std::string& group_id,
                                          absl::CivilDay from) {
  std::vector<ClientWindow> out;
  for (const auto& r : tx.exec_prepared("enrolled_clients", group_id, domain::FormatDate(from))) {
    ClientWindow w{r[0].c_str(), *domain::ParseDate(r[1].c_str()), std::nullopt};
    if (std::string(r[2].c_str()).size() == 10) w.to = domain::ParseDate(r[2].c_str());
    out.push_back(std::move(w));
  }
  return out;
}

namespace {

bool Within(absl::CivilDay d, absl::CivilDay from, const std::optional<absl::CivilDay>& to) {
  return d >= from && (!to || d <= *to);
}

std::vector<domain::Conflict> ClientConflicts(pqxx::work& tx, const std::string& org,
                                              const ConflictCheck& check, const ClientWindow& w) {
  std::vector<domain::Slot> mine;
  for (const auto& c : check.candidates) {
    if (Within(c.local_date, w.from, w.to)) mine.push_back(c);
  }
  if (mine.empty()) return {};
  std::vector<std::string> ids;
  std::map<std::string, std::vector<std::pair<absl::CivilDay, std::optional<absl::CivilDay>>>> spans;
  for (const auto& r : tx.exec_prepared("client_other_memberships", org, w.client_id,
                                        check.own_group_id, domain::FormatDate(check.from))) {
    std::optional<absl::CivilDay> end;
    if (std::string(r[2].c_str()).size() == 10) end = domain::ParseDate(r[2].c_str());
    ids.push_back(r[0].c_str());
    spans[r[0].c_str()].push_back({*domain::ParseDate(r[1].c_str()), end});
  }
  if (ids.empty()) return {};
  std::vector<domain::Slot> theirs;
  for (auto& s : LoadSlots(tx, org, LoadGroups(tx, org, ids), check.from, check.to)) {
    const auto& sp = spans[s.group_id];
    if (std::any_of(sp.begin(), sp.end(), [&](const auto& p) { return Within(s.local_date, p.first, p.second); })) {
      theirs.push_back(std::move(s));
    }
  }
  return domain::FindClientConflicts(w.client_id, mine, theirs);
}

}  // namespace

// Conflicts named one by one in the error; the count covers all of them.
constexpr size_t kMaxReportedConflicts = 10;

void RejectConflicts(pqxx::work& tx, const std::string& org, const ConflictCheck& check,
                     SchedulingMetrics& metrics) {
  std::set<std::string> facilitators, rooms;
  for (const auto& c : check.candidates) {
    if (c.cancelled || !check.check_resources) continue;
    facilitators.insert(c.facilitator_ids.begin(), c.facilitator_ids.end());
    if (!c.room_id.empty()) rooms.insert(c.room_id);
  }
  // One fixed order (std::set) for every writer, so lock waits cannot cycle.
  std::set<std::string> keys;
  for (const auto& f : facilitators) keys.insert(org + "|staff|" + f);
  for (const auto& r : rooms) keys.insert(org + "|room|" + r);
  for (const auto& w : check.clients) keys.insert(org + "|client|" + w.client_id);
  for (const auto& k : keys) tx.exec_prepared("advisory_lock", k);

  std::vector<domain::Conflict> conflicts;
  if (check.check_resources && (!facilitators.empty() || !rooms.empty())) {
    std::vector<std::string> ids;
    auto rows = tx.exec_prepared(
        "conflict_groups", org, sql::TextArray({facilitators.begin(), facilitators.end()}),
        sql::TextArray({rooms.begin(), rooms.end()}), domain::FormatDate(check.from - 1),
        domain::FormatDate(check.to + 1), Micros(DayStartUtc(check.from - 1)),
        Micros(DayStartUtc(check.to + 2)));
    for (const auto& r : rows) ids.push_back(r[0].c_str());
    std::vector<domain::Slot> others = LoadSlots(tx, org, LoadGroups(tx, org, ids), check.from, check.to);
    // The group being changed: its regenerated occurrences are the
    // candidates themselves, but its one-off sessions stay and can collide
    // with them (a candidate never conflicts with its own id).
    std::erase_if(others, [&](const domain::Slot& s) {
      return s.group_id == check.exclude_group_id && !s.one_off;
    });
    conflicts = domain::FindResourceConflicts(check.candidates, others);
  }
  for (const auto& w : check.clients) {
    auto found = ClientConflicts(tx, org, check, w);
    conflicts.insert(conflicts.end(), found.begin(), found.end());
  }
  if (conflicts.empty()) return;
  std::vector<errors::Violation> violations;
  std::set<domain::ConflictKind> kinds;
  for (const auto& c : conflicts) {
    kinds.insert(c.kind);
    if (violations.size() < kMaxReportedConflicts) {
      violations.push_back({domain::ConflictType(c.kind), c.other_session_id, domain::Describe(c)});
    }
  }
  if (conflicts.size() > kMaxReportedConflicts) {
    // The error travels in trailers; clients refuse trailers above 8 KiB by
    // default, so a long list would arrive as RESOURCE_EXHAUSTED instead.
    violations.push_back({"MORE_CONFLICTS", "",
                          "and " + std::to_string(conflicts.size() - kMaxReportedConflicts) +
                              " more conflicting session(s) not listed"});
  }
  for (auto k : kinds) {
    metrics.ConflictRejected(k == domain::ConflictKind::kFacilitator ? "facilitator"
                             : k == domain::ConflictKind::kRoom      ? "room"
                                                                     : "client");
  }
  errors::Throw(errors::FailedPrecondition(
      "the change would double-book " + std::to_string(conflicts.size()) + " session(s)", violations));
}

std::optional<std::string> PromoteNextWaitlisted(pqxx::work& tx, const std::string& org,
                                                 const GroupRecord& group, absl::CivilDay first_day) {
  const absl::CivilDay today = domain::TodayIn(group.series.tz);
  for (const auto& r : tx.exec_prepared("mem_waitlist", group.group.id())) {
    const std::string client_id = r[1].c_str();
    ConflictCheck check;
    check.from = std::max({first_day, *domain::ParseDate(r[2].c_str()), today});
    check.to = domain::ConflictHorizonEnd(check.from, group.series.ends_on);
    check.own_group_id = group.group.id();
    check.check_resources = false;
    for (auto& s : LoadSlots(tx, org, {{group.group.id(), group}}, check.from, check.to)) {
      if (s.local_date >= check.from && s.local_date <= check.to) check.candidates.push_back(std::move(s));
    }
    // The client's lock, as an enrollment elsewhere takes it: neither can
    // seat the client at the same hours while the other is deciding.
    tx.exec_prepared("advisory_lock", org + "|client|" + client_id);
    if (!ClientConflicts(tx, org, check, {client_id, check.from, std::nullopt}).empty()) continue;
    tx.exec_prepared("mem_promote", r[0].c_str(), domain::FormatDate(first_day));
    return std::string(r[0].c_str());
  }
  return std::nullopt;
}

}  // namespace iop::scheduling::store::rows
