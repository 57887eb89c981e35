-- Groups, their weekly plans, changed or one-off sessions, and memberships.
-- Recurring occurrences are not stored: they are generated from group_plans
-- in the site's zone. A `sessions` row exists only for a one-off or for an
-- occurrence changed one by one (cancelled, rescheduled); it keeps the id the
-- generated occurrence had, so ids never change.

-- A telehealth room may have capacity 0 (no limit), as the contract says.
ALTER TABLE rooms DROP CONSTRAINT IF EXISTS rooms_capacity_check;
ALTER TABLE rooms ADD CONSTRAINT rooms_capacity_check CHECK (capacity >= 0);

CREATE TABLE groups (
  id                  text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id              text NOT NULL,
  seq                 bigserial NOT NULL,
  program_id          text NOT NULL,
  site_id             text NOT NULL,
  display_name        text NOT NULL,
  modality            smallint NOT NULL,
  facilitator_ids     text[] NOT NULL DEFAULT '{}',
  room_id             text,
  min_size            integer NOT NULL,
  max_size            integer NOT NULL,
  curriculum_track_id text NOT NULL DEFAULT '',
  weekdays            smallint[] NOT NULL,
  start_local_time    text NOT NULL,
  duration_minutes    integer NOT NULL,
  starts_on           date NOT NULL,
  ends_on             date,
  status              smallint NOT NULL DEFAULT 1,
  close_reason        text NOT NULL DEFAULT '',
  version             bigint NOT NULL DEFAULT 1,
  create_time         timestamptz NOT NULL DEFAULT now(),
  update_time         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, program_id) REFERENCES programs (org_id, id),
  FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
  FOREIGN KEY (org_id, room_id) REFERENCES rooms (org_id, id),
  CHECK (max_size >= min_size AND min_size >= 1),
  CHECK (ends_on IS NULL OR ends_on >= starts_on OR status = 2)
);
CREATE INDEX groups_by_org ON groups (org_id, display_name, seq);
CREATE INDEX groups_by_site ON groups (org_id, site_id);

-- The recurrence, facilitators and room in effect from valid_from on (until
-- the next plan). UpdateGroup adds a plan from the site's current date, so
-- past occurrences keep what they had.
CREATE TABLE group_plans (
  group_id         text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  org_id           text NOT NULL,
  valid_from       date NOT NULL,
  weekdays         smallint[] NOT NULL,
  start_local_time text NOT NULL,
  duration_minutes integer NOT NULL,
  facilitator_ids  text[] NOT NULL DEFAULT '{}',
  room_id          text,
  PRIMARY KEY (group_id, valid_from)
);
CREATE INDEX group_plans_by_facilitator ON group_plans USING gin (facilitator_ids);
CREATE INDEX group_plans_by_room ON group_plans (org_id, room_id);

CREATE TABLE sessions (
  id                  text PRIMARY KEY,
  org_id              text NOT NULL,
  seq                 bigserial NOT NULL,
  group_id            text NOT NULL,
  occurrence_date     date,  -- the generated occurrence this row replaces; NULL for one-offs
  start_time          timestamptz NOT NULL,
  end_time            timestamptz NOT NULL,
  facilitator_ids     text[] NOT NULL DEFAULT '{}',
  room_id             text,
  status              smallint NOT NULL DEFAULT 1,
  cancel_reason       text NOT NULL DEFAULT '',
  one_off             boolean NOT NULL DEFAULT false,
  rescheduled         boolean NOT NULL DEFAULT false,
  original_start_time timestamptz,
  create_time         timestamptz NOT NULL DEFAULT now(),
  update_time         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (group_id, occurrence_date),
  FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
  CHECK (end_time > start_time)
);
CREATE INDEX sessions_by_group ON sessions (group_id, start_time);
CREATE INDEX sessions_by_facilitator ON sessions USING gin (facilitator_ids);
CREATE INDEX sessions_by_room ON sessions (org_id, room_id, start_time);

CREATE TABLE memberships (
  id               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id           text NOT NULL,
  seq              bigserial NOT NULL,
  group_id         text NOT NULL,
  client_id        text NOT NULL,
  status           smallint NOT NULL,           -- 1 active, 2 waitlisted, 3 discharged
  start_date       date NOT NULL,
  end_date         date,
  seated           boolean NOT NULL DEFAULT false,  -- ever held a seat (on rosters)
  discharge_reason text NOT NULL DEFAULT '',
  discharge_type   smallint NOT NULL DEFAULT 0,
  create_time      timestamptz NOT NULL DEFAULT now(),
  update_time      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id)
);
-- One open (active or waitlisted) membership per client and group.
CREATE UNIQUE INDEX memberships_open ON memberships (group_id, client_id) WHERE status IN (1, 2);
CREATE INDEX memberships_by_group ON memberships (group_id, status, seq);
CREATE INDEX memberships_by_client ON memberships (org_id, client_id, seq);
