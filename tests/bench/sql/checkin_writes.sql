-- One CheckIn's statements, as iop-attendance sends them for a client with
-- no record yet: the idempotency claim, the record (its versioning and
-- announcing triggers fire), then the stored response with the audit event,
-- in one transaction. Run by make bench (P2) against a copy of the
-- attendance schema: the floor under CheckIn set by PostgreSQL alone.
\set n random(1, 1000000000)
BEGIN;
INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint)
  VALUES ('bench', 'CheckIn', 'r' || :n || '-' || :client_id, 'fingerprint')
  ON CONFLICT (org_id, method, request_id) DO NOTHING;
INSERT INTO attendance_records AS r (org_id, session_id, client_id, group_id, site_id, program_id,
    local_date, session_start, session_end, time_zone, status, minutes_attended, note, mood_rating,
    check_in_time, check_out_time, recorded_by, create_time, update_time)
  VALUES ('bench', 's' || :n, 'c' || :client_id, 'group', 'site', 'program', '2030-01-07',
    now(), now() + interval '2 hours', 'America/New_York', 2, 0, '', NULL, now(), NULL, 'staff',
    now(), now())
  ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING *;
WITH completed AS (
  UPDATE idempotency_keys SET response = '\x0a2462656e6368'::bytea
  WHERE org_id = 'bench' AND method = 'CheckIn' AND request_id = 'r' || :n || '-' || :client_id
  RETURNING 1)
INSERT INTO audit_events (org_id, subject, roles, method, resource_ids, outcome, detail)
  VALUES ('bench', 'staff', '{staff}', 'CheckIn', ARRAY['s' || :n], 'OK', '')
  RETURNING (SELECT count(*) FROM completed);
COMMIT;
