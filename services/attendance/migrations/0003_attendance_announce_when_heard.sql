-- Announce a change only while some replica listens for it. NOTIFY takes a
-- database-wide lock from its commit until the commit is flushed to disk,
-- so with durable commits every announcing transaction waits for the one
-- before it: check-ins commit one at a time instead of sharing WAL flushes.
-- Replicas listen only while a watch is open there; the rest of the time
-- nobody could hear the announcement, and it is not sent.
--
-- A listening feed shows in pg_stat_activity with its application_name
-- ending in ' (listening)' (services/attendance/store/change_feed.cc).
-- The backend status is read from shared memory, not through a snapshot,
-- so a feed is seen from the moment it says so; the feed then waits for
-- every transaction that may have looked before that to end, and only then
-- tells its watches that they hear every later change. That wait holds
-- because this check runs after the change's row is written, when its
-- transaction already has an ID, and a transaction reads the status once:
-- a transaction must not look at pg_stat_activity before its first write
-- of a record.
CREATE OR REPLACE FUNCTION attendance_announce() RETURNS trigger AS $$
DECLARE
  kind text := 'recorded';
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM pg_stat_get_activity(NULL) a
      WHERE a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND a.application_name LIKE '% (listening)') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.check_out_time IS NOT NULL THEN
      kind := 'checked_out';
    ELSIF NEW.check_in_time IS NOT NULL THEN
      kind := 'checked_in';
    END IF;
  ELSIF NEW.check_out_time IS NOT NULL AND OLD.check_out_time IS NULL THEN
    kind := 'checked_out';
  ELSIF NEW.check_in_time IS NOT NULL AND OLD.check_in_time IS NULL THEN
    kind := 'checked_in';
  END IF;
  PERFORM pg_notify('iop_attendance_events', json_build_object(
    'org', NEW.org_id, 'session', NEW.session_id, 'record', NEW.id,
    'version', NEW.version, 'kind', kind)::text);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
