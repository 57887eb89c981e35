-- One CheckIn's writes for a client with no record yet, one check-in per
-- transaction (iop-attendance's store/checkin_first.cc when no other
-- check-in arrives with it; it then sends the same in array form): one
-- statement writes the record (its versioning and announcing triggers
-- fire), the idempotency key with its answer, and the audit event. Run by
-- make bench (P2) against a copy of the attendance schema: the floor under
-- CheckIn set by PostgreSQL alone, one transaction per check-in.
\set n random(1, 1000000000)
BEGIN;
WITH rec AS (
  INSERT INTO attendance_records (id, org_id, session_id, client_id, group_id, site_id, program_id,
    local_date, session_start, session_end, time_zone, status, minutes_attended, note, mood_rating,
    check_in_time, recorded_by, create_time, update_time)
  VALUES (gen_random_uuid()::text, 'bench', 's' || :n, 'c' || :client_id, 'group', 'site', 'program',
    '2030-01-07', now(), now() + interval '2 hours', 'America/New_York', 2, 0, '', NULL, now(), 'staff',
    now(), now())
  ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING 1),
claim AS (
  INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint, response)
  VALUES ('bench', 'CheckIn', 'r' || :n || '-' || :client_id, 'fingerprint', '\x0a2462656e6368'::bytea)
  ON CONFLICT (org_id, method, request_id) DO NOTHING RETURNING 1),
event AS (
  INSERT INTO audit_events (org_id, subject, roles, method, resource_ids, outcome, detail)
  VALUES ('bench', 'staff', '{staff}', 'CheckIn', ARRAY['s' || :n], 'OK', ''))
SELECT (SELECT count(*) FROM rec), (SELECT count(*) FROM claim);
COMMIT;
