// The prepared statements of the schedule store, in one place.
#include "common/sql.h"
#include "scheduling/store/schedule_rows.h"
#include "scheduling/store/schedule_store.h"

namespace iop::scheduling::store {
namespace {

std::string Ts(int n) { return sql::MicrosParam(n); }

// Waitlisted members sort by their place in line, the others by start date.
const std::string kMemberSortKey = "CASE WHEN m.status = 2 THEN '' ELSE m.start_date::text END";

const std::string kMemberCols =
    "m.id, m.org_id, m.group_id, m.client_id, m.status, m.start_date::text, "
    "coalesce(m.end_date::text, ''), m.discharge_reason, m.discharge_type, "
    "CASE WHEN m.status = 2 THEN (SELECT count(*) FROM memberships w WHERE w.group_id = m.group_id "
    "AND w.status = 2 AND w.seq <= m.seq) ELSE 0 END, " +
    sql::EpochMicros("m.create_time") + ", " + sql::EpochMicros("m.update_time") +
    ", (SELECT g.site_id FROM groups g WHERE g.id = m.group_id)";

}  // namespace

void ScheduleStore::Prepare() {
  rows::Prepare(pool_);
  auto& p = pool_;
  p.Prepare("program_site", "SELECT site_id FROM programs WHERE org_id = $1 AND id = $2");
  p.Prepare("program_age", "SELECT age_group FROM programs WHERE id = $1");
  p.Prepare("program_bounds",
            "SELECT id, min_weekly_hours, max_weekly_hours, site_id FROM programs "
            "WHERE org_id = $1 AND id = ANY($2::text[]) ORDER BY id");
  p.Prepare("sched_site_exists", "SELECT 1 FROM sites WHERE org_id = $1 AND id = $2");
  p.Prepare("client_site", "SELECT coalesce(site_id, ''), age_group FROM clients WHERE org_id = $1 AND id = $2");

  p.Prepare("grp_insert",
            "INSERT INTO groups (org_id, program_id, site_id, display_name, modality, facilitator_ids, "
            "room_id, min_size, max_size, curriculum_track_id, weekdays, start_local_time, "
            "duration_minutes, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5, $6::text[], NULLIF($7, ''), "
            "$8, $9, $10, $11::smallint[], $12, $13, $14::date, NULLIF($15, '')::date) RETURNING id");
  p.Prepare("grp_update",
            "UPDATE groups SET display_name = $3, modality = $4, facilitator_ids = $5::text[], "
            "room_id = NULLIF($6, ''), min_size = $7, max_size = $8, curriculum_track_id = $9, "
            "weekdays = $10::smallint[], start_local_time = $11, duration_minutes = $12, "
            "starts_on = $13::date, ends_on = NULLIF($14, '')::date, version = version + 1, "
            "update_time = now() WHERE org_id = $1 AND id = $2");
  p.Prepare("grp_close",
            "UPDATE groups SET status = 2, ends_on = $3::date, close_reason = $4, version = version + 1, "
            "update_time = now() WHERE org_id = $1 AND id = $2");
  p.Prepare("grp_list",
            "SELECT g.id, g.display_name, g.seq FROM groups g WHERE g.org_id = $1 "
            "AND ($2::text[] = '{}' OR g.site_id = ANY($2::text[])) AND ($3 = '' OR g.site_id = $3) "
            "AND ($4 = '' OR g.program_id = $4) AND ($5 = '' OR $5 = ANY(g.facilitator_ids)) "
            "AND ($6 = 0 OR g.modality = $6) AND ($7 = 0 OR g.status = $7) "
            "AND (NOT $8::boolean OR (g.display_name, g.seq) > ($9::text, $10::bigint)) "
            "ORDER BY g.display_name, g.seq LIMIT $11");
  p.Prepare("plan_upsert",
            "INSERT INTO group_plans (group_id, org_id, valid_from, weekdays, start_local_time, "
            "duration_minutes, facilitator_ids, room_id) VALUES ($1, $2, $3::date, $4::smallint[], $5, $6, "
            "$7::text[], NULLIF($8, '')) ON CONFLICT (group_id, valid_from) DO UPDATE SET "
            "weekdays = EXCLUDED.weekdays, start_local_time = EXCLUDED.start_local_time, "
            "duration_minutes = EXCLUDED.duration_minutes, facilitator_ids = EXCLUDED.facilitator_ids, "
            "room_id = EXCLUDED.room_id");
  p.Prepare("plan_delete_from", "DELETE FROM group_plans WHERE group_id = $1 AND valid_from >= $2::date");

  p.Prepare("sess_delete_after", "DELETE FROM sessions WHERE group_id = $1 AND start_time >= " + Ts(2));
  p.Prepare("sess_upsert",
            "INSERT INTO sessions (id, org_id, group_id, occurrence_date, start_time, end_time, "
            "facilitator_ids, room_id, status, cancel_reason, one_off, rescheduled, original_start_time) "
            "VALUES ($1, $2, $3, NULLIF($4, '')::date, " + Ts(5) + ", " + Ts(6) + ", $7::text[], "
            "NULLIF($8, ''), $9, $10, $11, $12, CASE WHEN $13::boolean THEN " + Ts(14) + " END) "
            "ON CONFLICT (id) DO UPDATE SET start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, "
            "facilitator_ids = EXCLUDED.facilitator_ids, room_id = EXCLUDED.room_id, "
            "status = EXCLUDED.status, cancel_reason = EXCLUDED.cancel_reason, "
            "rescheduled = EXCLUDED.rescheduled, original_start_time = EXCLUDED.original_start_time, "
            "update_time = now()");
  p.Prepare("sess_list_groups",
            "SELECT g.id FROM groups g WHERE g.org_id = $1 "
            "AND ($2::text[] = '{}' OR g.site_id = ANY($2::text[])) AND ($3 = '' OR g.id = $3) "
            "AND ($4 = '' OR g.site_id = $4) "
            "AND ($5 = '' OR EXISTS (SELECT 1 FROM group_plans p WHERE p.group_id = g.id "
            "AND $5 = ANY(p.facilitator_ids)) OR EXISTS (SELECT 1 FROM sessions s WHERE s.group_id = g.id "
            "AND $5 = ANY(s.facilitator_ids))) "
            "AND ($6 = '' OR EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = g.id "
            "AND m.client_id = $6 AND m.seated))");
  p.Prepare("random_token", "SELECT replace(gen_random_uuid()::text, '-', '')");

  p.Prepare("mem_get", "SELECT " + kMemberCols + " FROM memberships m WHERE m.id = $1");
  p.Prepare("mem_open",
            "SELECT id, status, start_date::text FROM memberships "
            "WHERE group_id = $1 AND client_id = $2 AND status IN (1, 2)");
  p.Prepare("mem_insert",
            "INSERT INTO memberships (org_id, group_id, client_id, status, start_date, seated) "
            "VALUES ($1, $2, $3, $4, $5::date, $6) RETURNING id");
  p.Prepare("mem_count_active", "SELECT count(*) FROM memberships WHERE group_id = $1 AND status = 1");
  p.Prepare("mem_discharge",
            "UPDATE memberships SET status = 3, end_date = $2::date, discharge_reason = $3, "
            "discharge_type = $4, update_time = now() WHERE id = $1");
  p.Prepare("mem_close_all",
            "UPDATE memberships SET status = 3, end_date = $2::date, discharge_type = 5, update_time = now() "
            "WHERE group_id = $1 AND status IN (1, 2)");
  p.Prepare("mem_list",
            "SELECT " + kMemberCols + ", m.seq, " + kMemberSortKey + " FROM memberships m "
            "JOIN groups g ON g.id = m.group_id WHERE m.org_id = $1 "
            "AND ($2::text[] = '{}' OR g.site_id = ANY($2::text[])) AND ($3 = '' OR m.group_id = $3) "
            "AND ($4 = '' OR m.client_id = $4) AND ($5 = 0 OR m.status = $5) "
            "AND (NOT $6::boolean OR (m.status, " + kMemberSortKey + ", m.seq) > ($7::smallint, $8::text, $9::bigint)) "
            "ORDER BY m.status, " + kMemberSortKey + ", m.seq LIMIT $10");
  p.Prepare("mem_seated",
            "SELECT m.id, m.client_id, c.display_name, m.start_date::text, coalesce(m.end_date::text, '') "
            "FROM memberships m JOIN clients c ON c.org_id = m.org_id AND c.id = m.client_id "
            "WHERE m.org_id = $1 AND m.group_id = $2 AND m.seated");
  p.Prepare("client_seats",
            "SELECT group_id, start_date::text, coalesce(end_date::text, '') FROM memberships "
            "WHERE org_id = $1 AND client_id = $2 AND seated");
  p.Prepare("mem_of_client",
            "SELECT group_id, start_date::text, coalesce(end_date::text, ''), seated FROM memberships "
            "WHERE org_id = $1 AND client_id = $2 ORDER BY start_date DESC, seq DESC");
}

}  // namespace iop::scheduling::store
