-- Attendance records: at most one per (org, session, client), every change
-- kept as an append-only version. What a record needs from scheduling
-- (group, site, program, local date, session times, the site's zone) is
-- copied onto it when it is first written, so reads and summaries keep
-- working while scheduling is down.

CREATE TABLE attendance_records (
  id               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id           text NOT NULL,
  seq              bigserial NOT NULL,
  session_id       text NOT NULL,
  client_id        text NOT NULL,
  group_id         text NOT NULL,
  site_id          text NOT NULL,
  program_id       text NOT NULL,
  local_date       date NOT NULL,
  session_start    timestamptz NOT NULL,
  session_end      timestamptz NOT NULL,
  time_zone        text NOT NULL,
  status           smallint NOT NULL CHECK (status BETWEEN 2 AND 6),
  minutes_attended integer NOT NULL DEFAULT 0 CHECK (minutes_attended >= 0),
  note             text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
  mood_rating      smallint CHECK (mood_rating BETWEEN 0 AND 10),
  check_in_time    timestamptz,
  check_out_time   timestamptz,
  recorded_by      text NOT NULL,
  version          bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  create_time      timestamptz NOT NULL DEFAULT now(),
  update_time      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, session_id, client_id),
  CHECK (session_end > session_start),
  CHECK (check_out_time IS NULL OR check_in_time IS NOT NULL)
);
CREATE INDEX attendance_by_client ON attendance_records (org_id, client_id, local_date);
CREATE INDEX attendance_by_group ON attendance_records (org_id, group_id, local_date);
CREATE INDEX attendance_by_date ON attendance_records (org_id, local_date);

-- Every version of every record, the current one included. Written by the
-- trigger below in the same transaction as the record, so no code path can
-- change a record without leaving its history; never updated or deleted.
CREATE TABLE attendance_record_versions (
  record_id        text NOT NULL REFERENCES attendance_records (id),
  version          bigint NOT NULL,
  org_id           text NOT NULL,
  status           smallint NOT NULL,
  minutes_attended integer NOT NULL,
  note             text NOT NULL,
  mood_rating      smallint,
  check_in_time    timestamptz,
  check_out_time   timestamptz,
  recorded_by      text NOT NULL,
  update_time      timestamptz NOT NULL,
  PRIMARY KEY (record_id, version)
);

CREATE FUNCTION attendance_keep_version() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.version <> OLD.version + 1 THEN
    RAISE EXCEPTION 'attendance record % must grow by one version (% -> %)',
      NEW.id, OLD.version, NEW.version;
  END IF;
  INSERT INTO attendance_record_versions (record_id, version, org_id, status, minutes_attended,
    note, mood_rating, check_in_time, check_out_time, recorded_by, update_time)
  VALUES (NEW.id, NEW.version, NEW.org_id, NEW.status, NEW.minutes_attended, NEW.note,
    NEW.mood_rating, NEW.check_in_time, NEW.check_out_time, NEW.recorded_by, NEW.update_time);
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER attendance_records_versioned AFTER INSERT OR UPDATE ON attendance_records
  FOR EACH ROW EXECUTE FUNCTION attendance_keep_version();

CREATE FUNCTION attendance_refuse_delete() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed or deleted this way', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER attendance_versions_frozen BEFORE UPDATE OR DELETE ON attendance_record_versions
  FOR EACH ROW EXECUTE FUNCTION attendance_refuse_delete();
-- Records are corrected, never removed.
CREATE TRIGGER attendance_records_kept BEFORE DELETE ON attendance_records
  FOR EACH ROW EXECUTE FUNCTION attendance_refuse_delete();

-- The last thresholds seen for each program (copied from scheduling on every
-- write), so summaries and alerts need no call to scheduling.
CREATE TABLE program_rules (
  org_id                        text NOT NULL,
  program_id                    text NOT NULL,
  min_weekly_hours              double precision NOT NULL,
  daily_minimum_minutes         integer NOT NULL,
  consecutive_absence_threshold integer NOT NULL,
  min_attendance_rate           double precision NOT NULL,
  update_time                   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, program_id)
);
