#include "scheduling/store/directory_store.h"

#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"
#include "scheduling/store/near_read.h"

namespace iop::scheduling::store {
namespace {

using std::chrono::minutes;

constexpr auto kObjectTtl = minutes(10);

// Column lists and row readers: one place per resource decides how a row
// becomes a message.
const std::string kSiteCols =
    "id, org_id, display_name, time_zone, address, " + sql::EpochMicros("create_time") + ", seq";
const std::string kRoomCols = "id, org_id, site_id, display_name, capacity, telehealth, " +
                              sql::EpochMicros("create_time") + ", seq";
const std::string kStaffCols = "id, org_id, display_name, credentials, site_ids, " +
                               sql::EpochMicros("create_time") + ", seq";
const std::string kClientCols = "id, org_id, display_name, coalesce(external_ref, ''), age_group, "
                                "coalesce(site_id, ''), " + sql::EpochMicros("create_time") + ", seq";
const std::string kProgramCols =
    "id, org_id, site_id, display_name, age_group, focus, min_weekly_hours, max_weekly_hours, "
    "daily_minimum_minutes, consecutive_absence_threshold, min_attendance_rate, version, " +
    sql::EpochMicros("create_time") + ", " + sql::EpochMicros("update_time") + ", seq";

v1::Site ReadSite(const pqxx::row& r) {
  v1::Site s;
  s.set_id(r[0].c_str());
  s.set_org_id(r[1].c_str());
  s.set_display_name(r[2].c_str());
  s.set_time_zone(r[3].c_str());
  s.set_address(r[4].c_str());
  *s.mutable_create_time() = sql::TimestampFromMicros(r[5].as<int64_t>());
  return s;
}

v1::Room ReadRoom(const pqxx::row& r) {
  v1::Room m;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_site_id(r[2].c_str());
  m.set_display_name(r[3].c_str());
  m.set_capacity(r[4].as<int>());
  m.set_telehealth(r[5].as<bool>());
  *m.mutable_create_time() = sql::TimestampFromMicros(r[6].as<int64_t>());
  return m;
}

v1::Staff ReadStaff(const pqxx::row& r) {
  v1::Staff m;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_display_name(r[2].c_str());
  m.set_credentials(r[3].c_str());
  for (auto& s : sql::ParseTextArray(r[4].c_str())) m.add_site_ids(s);
  *m.mutable_create_time() = sql::TimestampFromMicros(r[5].as<int64_t>());
  return m;
}

v1::Client ReadClient(const pqxx::row& r) {
  v1::Client m;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_display_name(r[2].c_str());
  m.set_external_ref(r[3].c_str());
  m.set_age_group(static_cast<v1::AgeGroup>(r[4].as<int>()));
  m.set_site_id(r[5].c_str());
  *m.mutable_create_time() = sql::TimestampFromMicros(r[6].as<int64_t>());
  return m;
}

v1::Program ReadProgram(const pqxx::row& r) {
  v1::Program m;
  m.set_id(r[0].c_str());
  m.set_org_id(r[1].c_str());
  m.set_site_id(r[2].c_str());
  m.set_display_name(r[3].c_str());
  m.set_age_group(static_cast<v1::AgeGroup>(r[4].as<int>()));
  m.set_focus(static_cast<v1::ProgramFocus>(r[5].as<int>()));
  m.set_min_weekly_hours(r[6].as<double>());
  m.set_max_weekly_hours(r[7].as<double>());
  m.set_daily_minimum_minutes(r[8].as<int>());
  m.set_consecutive_absence_threshold(r[9].as<int>());
  m.set_min_attendance_rate(r[10].as<double>());
  m.set_etag("v" + std::string(r[11].c_str()));
  *m.mutable_create_time() = sql::TimestampFromMicros(r[12].as<int64_t>());
  *m.mutable_update_time() = sql::TimestampFromMicros(r[13].as<int64_t>());
  return m;
}

// Sites the caller is limited to, as a text[] literal ("{}" = no limit).
std::string SiteLimit(const auth::Caller& caller) { return sql::TextArray(caller.sites); }

// Reads one page of `statement` (whose last column is seq) and the token of
// the next one.
template <class T, class Reader>
Listed<T> ReadPage(const pqxx::result& rows, const paging::Page& page, const std::string& filters,
                   Reader read) {
  Listed<T> out;
  const size_t n = std::min<size_t>(rows.size(), page.size);
  for (size_t i = 0; i < n; ++i) out.items.push_back(read(rows[i]));
  if (rows.size() > n && n > 0) {
    out.next_page_token = paging::NextToken(rows[n - 1][rows[n - 1].size() - 1].as<int64_t>(), filters);
  }
  return out;
}

// One keyset page of a "*_list" statement, whose parameters are always
// (org, after, site limit, filters..., limit).
template <class T, class Reader, class... Filters>
Listed<T> ListPage(db::Pool& pool, const auth::Caller& caller, const char* statement,
                   const std::string& filter_key, int32_t page_size, const std::string& page_token,
                   Reader read, const Filters&... filters) {
  paging::Page page = paging::Parse(page_size, page_token, filter_key);
  auto rows = pool.Read([&](pqxx::work& tx) {
    return tx.exec_prepared(statement, caller.org, page.after, SiteLimit(caller), filters...,
                            page.size + 1);
  });
  return ReadPage<T>(rows, page, filter_key, read);
}

// Who may see what: one answer for the read that goes to the cache and the
// database and for the one answered from the near copy.
bool SiteVisible(const auth::Caller& caller, const v1::Site& site) { return caller.SeesSite(site.id()); }
bool RoomVisible(const auth::Caller& caller, const v1::Room& room) {
  return caller.SeesSite(room.site_id());
}
bool StaffVisible(const auth::Caller& caller, const v1::Staff& staff) {
  bool visible = !caller.site_limited() || staff.site_ids().empty();
  for (const auto& s : staff.site_ids()) visible = visible || caller.SeesSite(s);
  return visible;
}
bool ClientVisible(const auth::Caller& caller, const v1::Client& client) {
  // A client with no home site is visible only to callers without a limit.
  return !caller.site_limited() || (!client.site_id().empty() && caller.SeesSite(client.site_id()));
}
bool ProgramVisible(const auth::Caller& caller, const v1::Program& program) {
  return caller.SeesSite(program.site_id());
}

// The object `id` if it exists and the caller may see it; NOT_FOUND alike
// for both otherwise. `keep` says whether it is kept near for PeekVisible.
template <class T, class Reader, class Visible>
T Cached(cache::Cache& cache, db::Pool& pool, const auth::Caller& caller, const char* kind,
         const char* statement, const std::string& id, const char* type_name, Reader read,
         Visible visible, cache::KeepNear keep) {
  if (id.empty()) errors::Throw(errors::InvalidArgument("id", "is required"));
  auto bytes = cache.GetOrLoad(
      cache::Key(caller.org, kind, id), kObjectTtl,
      [&]() -> std::optional<std::string> {
        return pool.Read(
            [&](pqxx::work& tx) -> std::optional<std::string> {
              auto rows = tx.exec_prepared(statement, caller.org, id);
              if (rows.empty()) return std::nullopt;
              return read(rows[0]).SerializeAsString();
            },
            statement);
      },
      kind, keep);
  T out;
  if (!bytes || !out.ParseFromString(*bytes) || !visible(caller, out)) {
    errors::Throw(errors::NotFound(type_name, id));
  }
  return out;
}


}  // namespace

DirectoryStore::DirectoryStore(db::Pool& pool, cache::Cache& cache) : pool_(pool), cache_(cache) {
  Prepare();
}

void DirectoryStore::Prepare() {
  pool_.Prepare("site_insert",
                "INSERT INTO sites (org_id, display_name, time_zone, address) VALUES ($1,$2,$3,$4) "
                "RETURNING " + kSiteCols);
  pool_.Prepare("site_get", "SELECT " + kSiteCols + " FROM sites WHERE org_id=$1 AND id=$2");
  pool_.Prepare("site_list", "SELECT " + kSiteCols +
                                 " FROM sites WHERE org_id=$1 AND seq>$2"
                                 " AND ($3::text[] = '{}' OR id = ANY($3::text[]))"
                                 " ORDER BY seq LIMIT $4");
  pool_.Prepare("room_insert",
                "INSERT INTO rooms (org_id, site_id, display_name, capacity, telehealth) "
                "VALUES ($1,$2,$3,$4,$5) RETURNING " + kRoomCols);
  pool_.Prepare("room_get", "SELECT " + kRoomCols + " FROM rooms WHERE org_id=$1 AND id=$2");
  pool_.Prepare("room_list", "SELECT " + kRoomCols +
                                 " FROM rooms WHERE org_id=$1 AND seq>$2"
                                 " AND ($3::text[] = '{}' OR site_id = ANY($3::text[]))"
                                 " AND ($4 = '' OR site_id = $4) ORDER BY seq LIMIT $5");
  pool_.Prepare("staff_insert",
                "INSERT INTO staff (org_id, display_name, credentials, site_ids) "
                "VALUES ($1,$2,$3,$4::text[]) RETURNING " + kStaffCols);
  pool_.Prepare("staff_get", "SELECT " + kStaffCols + " FROM staff WHERE org_id=$1 AND id=$2");
  // Staff with no site_ids work everywhere, so every caller sees them.
  pool_.Prepare("staff_list", "SELECT " + kStaffCols +
                                  " FROM staff WHERE org_id=$1 AND seq>$2"
                                  " AND ($3::text[] = '{}' OR site_ids = '{}' OR site_ids && $3::text[])"
                                  " AND ($4 = '' OR site_ids = '{}' OR $4 = ANY(site_ids))"
                                  " ORDER BY seq LIMIT $5");
  pool_.Prepare("client_insert",
                "INSERT INTO clients (org_id, display_name, external_ref, age_group, site_id) "
                "VALUES ($1,$2,NULLIF($3,''),$4,NULLIF($5,'')) RETURNING " + kClientCols);
  pool_.Prepare("client_get", "SELECT " + kClientCols + " FROM clients WHERE org_id=$1 AND id=$2");
  pool_.Prepare("client_list", "SELECT " + kClientCols +
                                   " FROM clients WHERE org_id=$1 AND seq>$2"
                                   " AND ($3::text[] = '{}' OR site_id = ANY($3::text[]))"
                                   " AND ($4 = '' OR site_id = $4)"
                                   " AND ($5 = '' OR external_ref = $5) ORDER BY seq LIMIT $6");
  pool_.Prepare("program_insert",
                "INSERT INTO programs (org_id, site_id, display_name, age_group, focus, "
                "min_weekly_hours, max_weekly_hours, daily_minimum_minutes, "
                "consecutive_absence_threshold, min_attendance_rate) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING " + kProgramCols);
  pool_.Prepare("program_get", "SELECT " + kProgramCols + " FROM programs WHERE org_id=$1 AND id=$2");
  pool_.Prepare("program_list", "SELECT " + kProgramCols +
                                    " FROM programs WHERE org_id=$1 AND seq>$2"
                                    " AND ($3::text[] = '{}' OR site_id = ANY($3::text[]))"
                                    " AND ($4 = '' OR site_id = $4)"
                                    " AND ($5 = 0 OR age_group = $5) AND ($6 = 0 OR focus = $6)"
                                    " ORDER BY seq LIMIT $7");
  pool_.Prepare("program_get_lock",
                "SELECT " + kProgramCols + " FROM programs WHERE org_id=$1 AND id=$2 FOR UPDATE");
  pool_.Prepare("program_update",
                "UPDATE programs SET display_name=$3, min_weekly_hours=$4, max_weekly_hours=$5, "
                "daily_minimum_minutes=$6, consecutive_absence_threshold=$7, min_attendance_rate=$8, "
                "version=version+1, update_time=now() WHERE org_id=$1 AND id=$2 RETURNING " + kProgramCols);
  pool_.Prepare("site_exists", "SELECT 1 FROM sites WHERE org_id=$1 AND id=$2");
}

void DirectoryStore::RequireSite(pqxx::work& tx, const auth::Caller& caller,
                                 const std::string& site_id) {
  if (!caller.SeesSite(site_id) || tx.exec_prepared("site_exists", caller.org, site_id).empty()) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Site", site_id));
  }
}

void DirectoryStore::CheckSiteFilter(const auth::Caller& caller, const std::string& site_id) {
  if (site_id.empty()) return;
  pool_.Read([&](pqxx::work& tx) { RequireSite(tx, caller, site_id); }, "site_exists");
}

// ---- sites ----------------------------------------------------------------

v1::Site DirectoryStore::CreateSite(const auth::Caller& caller, const v1::Site& site,
                                    const WriteKey& key) {
  return idempotency::WriteOnce<v1::Site>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        return ReadSite(tx.exec_prepared1("site_insert", caller.org, site.display_name(),
                                          site.time_zone(), site.address()));
      });
}

v1::Site DirectoryStore::GetSite(const auth::Caller& caller, const std::string& id) {
  return Cached<v1::Site>(cache_, pool_, caller, "site", "site_get", id, "iop.scheduling.v1.Site",
                          ReadSite, SiteVisible, cache::KeepNear::kYes);
}

bool DirectoryStore::PeekSite(const auth::Caller& caller, const std::string& id, v1::Site* out) {
  return PeekVisible(cache_, caller, "site", id, out, SiteVisible);
}

Listed<v1::Site> DirectoryStore::ListSites(const auth::Caller& caller,
                                           const v1::ListSitesRequest& req) {
  return ListPage<v1::Site>(pool_, caller, "site_list", "sites", req.page_size(), req.page_token(),
                            ReadSite);
}

// ---- rooms ----------------------------------------------------------------

v1::Room DirectoryStore::CreateRoom(const auth::Caller& caller, const v1::Room& room,
                                    const WriteKey& key) {
  return idempotency::WriteOnce<v1::Room>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        RequireSite(tx, caller, room.site_id());
        return ReadRoom(tx.exec_prepared1("room_insert", caller.org, room.site_id(),
                                          room.display_name(), room.capacity(), room.telehealth()));
      });
}

v1::Room DirectoryStore::GetRoom(const auth::Caller& caller, const std::string& id) {
  return Cached<v1::Room>(cache_, pool_, caller, "room", "room_get", id, "iop.scheduling.v1.Room",
                          ReadRoom, RoomVisible, cache::KeepNear::kYes);
}

bool DirectoryStore::PeekRoom(const auth::Caller& caller, const std::string& id, v1::Room* out) {
  return PeekVisible(cache_, caller, "room", id, out, RoomVisible);
}

Listed<v1::Room> DirectoryStore::ListRooms(const auth::Caller& caller,
                                           const v1::ListRoomsRequest& req) {
  CheckSiteFilter(caller, req.site_id());
  return ListPage<v1::Room>(pool_, caller, "room_list", "rooms|" + req.site_id(), req.page_size(),
                            req.page_token(), ReadRoom, req.site_id());
}

// ---- staff ----------------------------------------------------------------

v1::Staff DirectoryStore::CreateStaff(const auth::Caller& caller, const v1::Staff& staff,
                                      const WriteKey& key) {
  std::vector<std::string> sites(staff.site_ids().begin(), staff.site_ids().end());
  return idempotency::WriteOnce<v1::Staff>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        for (const auto& s : sites) RequireSite(tx, caller, s);
        return ReadStaff(tx.exec_prepared1("staff_insert", caller.org, staff.display_name(),
                                           staff.credentials(), sql::TextArray(sites)));
      });
}

v1::Staff DirectoryStore::GetStaff(const auth::Caller& caller, const std::string& id) {
  return Cached<v1::Staff>(cache_, pool_, caller, "staff", "staff_get", id,
                           "iop.scheduling.v1.Staff", ReadStaff, StaffVisible, cache::KeepNear::kYes);
}

bool DirectoryStore::PeekStaff(const auth::Caller& caller, const std::string& id, v1::Staff* out) {
  return PeekVisible(cache_, caller, "staff", id, out, StaffVisible);
}

Listed<v1::Staff> DirectoryStore::ListStaff(const auth::Caller& caller,
                                            const v1::ListStaffRequest& req) {
  CheckSiteFilter(caller, req.site_id());
  return ListPage<v1::Staff>(pool_, caller, "staff_list", "staff|" + req.site_id(), req.page_size(),
                             req.page_token(), ReadStaff, req.site_id());
}

// ---- clients --------------------------------------------------------------

v1::Client DirectoryStore::CreateClient(const auth::Caller& caller, const v1::Client& client,
                                        const WriteKey& key) {
  // The unique index decides races between two creates with one external_ref.
  try {
    return idempotency::WriteOnce<v1::Client>(
        pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
          if (!client.site_id().empty()) RequireSite(tx, caller, client.site_id());
          return ReadClient(tx.exec_prepared1("client_insert", caller.org, client.display_name(),
                                              client.external_ref(),
                                              static_cast<int>(client.age_group()),
                                              client.site_id()));
        });
  } catch (const pqxx::unique_violation&) {
    errors::Throw(errors::AlreadyExists(
        "iop.scheduling.v1.Client", client.external_ref(),
        "client.external_ref: another client of this org has external_ref \"" +
            client.external_ref() + "\""));
  }
}

v1::Client DirectoryStore::GetClient(const auth::Caller& caller, const std::string& id) {
  // Client reads are audited, so they never take the near way: not kept.
  return Cached<v1::Client>(cache_, pool_, caller, "client", "client_get", id,
                            "iop.scheduling.v1.Client", ReadClient, ClientVisible, cache::KeepNear::kNo);
}

Listed<v1::Client> DirectoryStore::ListClients(const auth::Caller& caller,
                                               const v1::ListClientsRequest& req) {
  CheckSiteFilter(caller, req.site_id());
  return ListPage<v1::Client>(pool_, caller, "client_list",
                              "clients|" + req.site_id() + "|" + req.external_ref(), req.page_size(),
                              req.page_token(), ReadClient, req.site_id(), req.external_ref());
}

// ---- programs -------------------------------------------------------------

v1::Program DirectoryStore::CreateProgram(const auth::Caller& caller, const v1::Program& p,
                                          const WriteKey& key) {
  return idempotency::WriteOnce<v1::Program>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        RequireSite(tx, caller, p.site_id());
        return ReadProgram(tx.exec_prepared1(
            "program_insert", caller.org, p.site_id(), p.display_name(),
            static_cast<int>(p.age_group()), static_cast<int>(p.focus()), p.min_weekly_hours(),
            p.max_weekly_hours(), p.daily_minimum_minutes(), p.consecutive_absence_threshold(),
            p.min_attendance_rate()));
      });
}

v1::Program DirectoryStore::GetProgram(const auth::Caller& caller, const std::string& id) {
  return Cached<v1::Program>(cache_, pool_, caller, "program", "program_get", id,
                             "iop.scheduling.v1.Program", ReadProgram, ProgramVisible,
                             cache::KeepNear::kYes);
}

bool DirectoryStore::PeekProgram(const auth::Caller& caller, const std::string& id, v1::Program* out) {
  return PeekVisible(cache_, caller, "program", id, out, ProgramVisible);
}

v1::Program DirectoryStore::UpdateProgram(const auth::Caller& caller, const std::string& id,
                                          const std::string& etag, const ProgramChange& apply,
                                          const WriteKey& key) {
  return idempotency::WriteOnce<v1::Program>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto rows = tx.exec_prepared("program_get_lock", caller.org, id);
        if (rows.empty() || !caller.SeesSite(rows[0][2].c_str())) {
          errors::Throw(errors::NotFound("iop.scheduling.v1.Program", id));
        }
        v1::Program current = ReadProgram(rows[0]);
        if (!etag.empty() && etag != current.etag()) {
          errors::Throw(errors::Aborted("program " + id + " changed since it was read (etag " + etag +
                                        ", now " + current.etag() + "); read it again"));
        }
        v1::Program p = apply(current);
        return ReadProgram(tx.exec_prepared1("program_update", caller.org, id, p.display_name(),
                                             p.min_weekly_hours(), p.max_weekly_hours(),
                                             p.daily_minimum_minutes(),
                                             p.consecutive_absence_threshold(),
                                             p.min_attendance_rate()));
      },
      {.invalidate = [&](const v1::Program&) { cache_.Invalidate({cache::Key(caller.org, "program", id)}); }});
}

Listed<v1::Program> DirectoryStore::ListPrograms(const auth::Caller& caller,
                                                 const v1::ListProgramsRequest& req) {
  CheckSiteFilter(caller, req.site_id());
  const int age_group = req.age_group(), focus = req.focus();
  return ListPage<v1::Program>(pool_, caller, "program_list",
                               "programs|" + req.site_id() + "|" + std::to_string(age_group) + "|" +
                                   std::to_string(focus),
                               req.page_size(), req.page_token(), ReadProgram, req.site_id(),
                               age_group, focus);
}

}  // namespace iop::scheduling::store
