-- Eight check-ins at once, as iop-attendance writes the check-ins that
-- arrive together (store/checkin_first.cc): in one transaction, one
-- statement writes the eight records (their versioning and announcing
-- triggers fire), their keys with their answers, and their audit events.
-- Eight is about what make bench's concurrent callers let a batch gather.
-- Run by make bench (P2) against a copy of the attendance schema.
\set n random(1, 1000000000)
BEGIN;
WITH input AS (
  SELECT gen_random_uuid()::text AS id, 'c' || :client_id || '-' || i AS client_id,
    'r' || :n || '-' || :client_id || '-' || i AS request_id
  FROM generate_series(1, 8) i),
rec AS (
  INSERT INTO attendance_records (id, org_id, session_id, client_id, group_id, site_id, program_id,
    local_date, session_start, session_end, time_zone, status, minutes_attended, note, mood_rating,
    check_in_time, recorded_by, create_time, update_time)
  SELECT id, 'bench', 's' || :n, client_id, 'group', 'site', 'program', '2030-01-07', now(),
    now() + interval '2 hours', 'America/New_York', 2, 0, '', NULL, now(), 'staff', now(), now()
  FROM input
  ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING id),
claim AS (
  INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint, response)
  SELECT 'bench', 'CheckIn', request_id, 'fingerprint', '\x0a2462656e6368'::bytea FROM input
  ON CONFLICT (org_id, method, request_id) DO NOTHING RETURNING org_id, request_id),
event AS (
  INSERT INTO audit_events (org_id, subject, roles, method, resource_ids, outcome, detail)
  SELECT 'bench', 'staff', '{staff}', 'CheckIn', ARRAY[id], 'OK', '' FROM input)
SELECT i.id FROM input i WHERE i.id NOT IN (SELECT id FROM rec)
  OR ('bench', i.request_id) NOT IN (SELECT org_id, request_id FROM claim);
COMMIT;
