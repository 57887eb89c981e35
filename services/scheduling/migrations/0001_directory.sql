-- Sites, rooms, staff, clients and programs: the directory every other
-- scheduling table refers to. Every row belongs to an org; composite foreign
-- keys (org_id, id) make a cross-org reference impossible, not just unlikely.
-- `seq` orders rows for keyset pagination (stable under concurrent inserts).

CREATE TABLE sites (
  id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id       text NOT NULL,
  seq          bigserial NOT NULL,
  display_name text NOT NULL,
  time_zone    text NOT NULL,
  address      text NOT NULL DEFAULT '',
  create_time  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id)
);
CREATE INDEX sites_by_org ON sites (org_id, seq);

CREATE TABLE rooms (
  id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id       text NOT NULL,
  seq          bigserial NOT NULL,
  site_id      text NOT NULL,
  display_name text NOT NULL,
  capacity     integer NOT NULL CHECK (capacity > 0),
  telehealth   boolean NOT NULL DEFAULT false,
  create_time  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE INDEX rooms_by_org ON rooms (org_id, seq);
CREATE INDEX rooms_by_site ON rooms (org_id, site_id, seq);

CREATE TABLE staff (
  id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id       text NOT NULL,
  seq          bigserial NOT NULL,
  display_name text NOT NULL,
  credentials  text NOT NULL DEFAULT '',
  site_ids     text[] NOT NULL,
  create_time  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id)
);
CREATE INDEX staff_by_org ON staff (org_id, seq);
CREATE INDEX staff_by_sites ON staff USING gin (site_ids);

CREATE TABLE clients (
  id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id       text NOT NULL,
  seq          bigserial NOT NULL,
  site_id      text,  -- home site; NULL: visible only to callers without a site limit
  display_name text NOT NULL,
  external_ref text,
  age_group    smallint NOT NULL,
  create_time  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE INDEX clients_by_org ON clients (org_id, seq);
CREATE INDEX clients_by_site ON clients (org_id, site_id, seq);
-- The partner EHR's id is unique per org (NULL when none was given).
CREATE UNIQUE INDEX clients_external_ref ON clients (org_id, external_ref)
  WHERE external_ref IS NOT NULL;

CREATE TABLE programs (
  id                            text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id                        text NOT NULL,
  seq                           bigserial NOT NULL,
  site_id                       text NOT NULL,
  display_name                  text NOT NULL,
  age_group                     smallint NOT NULL,
  focus                         smallint NOT NULL,
  min_weekly_hours              double precision NOT NULL,
  max_weekly_hours              double precision NOT NULL,
  daily_minimum_minutes         integer NOT NULL,
  consecutive_absence_threshold integer NOT NULL,
  min_attendance_rate           double precision NOT NULL,
  version                       bigint NOT NULL DEFAULT 1,
  create_time                   timestamptz NOT NULL DEFAULT now(),
  update_time                   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
  CHECK (min_weekly_hours >= 0 AND max_weekly_hours >= min_weekly_hours)
);
CREATE INDEX programs_by_org ON programs (org_id, seq);
