-- Every committed change of an attendance record is announced on the
-- channel iop_attendance_events (LISTEN), so that a WatchSessionAttendance
-- stream on one replica also sees the check-ins another replica handled.
-- NOTIFY from a trigger is sent at commit and never for a rolled-back
-- change. The payload names the change; listeners read the version itself.
-- kind: checked_out when this change set the check-out, checked_in when it
-- set the check-in, recorded otherwise (forms, corrections).
CREATE FUNCTION attendance_announce() RETURNS trigger AS $$
DECLARE
  kind text := 'recorded';
BEGIN
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

CREATE TRIGGER attendance_records_announced AFTER INSERT OR UPDATE ON attendance_records
  FOR EACH ROW EXECUTE FUNCTION attendance_announce();
