-- A check-in's writes (the claim, the record, then the answer with the
-- audit event) for eight check-ins at once, each statement writing all
-- eight rows: the most that batching concurrent
-- check-ins into shared transactions could save in PostgreSQL. Each batch
-- has an org of its own, so the completion finds its eight keys by index
-- as the single-row statement does (a table growing this fast outruns its
-- planner statistics within the run).
\set n random(1, 1000000000)
BEGIN;
INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint)
  SELECT 'o' || :n, 'CheckIn', 'r' || :client_id || '-' || i, 'fingerprint'
  FROM generate_series(1, 8) i
  ON CONFLICT (org_id, method, request_id) DO NOTHING;
INSERT INTO attendance_records AS r (org_id, session_id, client_id, group_id, site_id, program_id,
    local_date, session_start, session_end, time_zone, status, minutes_attended, note, mood_rating,
    check_in_time, check_out_time, recorded_by, create_time, update_time)
  SELECT 'o' || :n, 's' || :client_id, 'c' || i, 'group', 'site', 'program', '2030-01-07',
    now(), now() + interval '2 hours', 'America/New_York', 2, 0, '', NULL, now(), NULL, 'staff',
    now(), now()
  FROM generate_series(1, 8) i
  ON CONFLICT (org_id, session_id, client_id) DO NOTHING RETURNING *;
WITH completed AS (
  UPDATE idempotency_keys SET response = '\x0a2462656e6368'::bytea
  WHERE org_id = 'o' || :n AND method = 'CheckIn'
    AND request_id = ANY (ARRAY(SELECT 'r' || :client_id || '-' || i FROM generate_series(1, 8) i))
  RETURNING 1)
INSERT INTO audit_events (org_id, subject, roles, method, resource_ids, outcome, detail)
  SELECT 'o' || :n, 'staff', '{staff}', 'CheckIn', ARRAY['s' || :client_id || '-' || i], 'OK', ''
  FROM generate_series(1, 8) i
  RETURNING (SELECT count(*) FROM completed);
COMMIT;
