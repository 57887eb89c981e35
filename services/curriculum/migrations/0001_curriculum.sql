-- Lessons, tracks, session plans and deliveries of the curriculum service.
-- Built-in starter lessons and tracks are not stored: they live in the
-- binary and every org reads the same ones. Lesson and track contents that
-- are only ever read whole (phases, objectives, modules) are kept as the
-- serialized message in `body`; columns that are filtered or sorted on are
-- their own columns. `seq` orders rows for keyset pagination.

CREATE TABLE lessons (
  id          text COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id      text NOT NULL,
  seq         bigserial NOT NULL,
  title       text COLLATE "C" NOT NULL,
  modality    integer NOT NULL CHECK (modality > 0),
  module      text COLLATE "C" NOT NULL DEFAULT '',
  body        bytea NOT NULL,
  version     bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  CHECK (id NOT LIKE 'builtin-%')
);
CREATE INDEX lessons_by_order ON lessons (org_id, module, title, id);

CREATE TABLE tracks (
  id                   text COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id               text NOT NULL,
  seq                  bigserial NOT NULL,
  title                text COLLATE "C" NOT NULL,
  modality             integer NOT NULL CHECK (modality > 0),
  body                 bytea NOT NULL,
  copied_from_track_id text NOT NULL DEFAULT '',
  version              bigint NOT NULL DEFAULT 1,
  create_time          timestamptz NOT NULL DEFAULT now(),
  update_time          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  CHECK (id NOT LIKE 'builtin-%')
);
CREATE INDEX tracks_by_order ON tracks (org_id, title, id);

-- One plan per session (a session id is stable across reschedules, so a
-- moved session keeps its plan). track_id and lesson_id may name built-in
-- rows, hence no foreign keys to lessons/tracks.
CREATE TABLE session_plans (
  org_id       text NOT NULL,
  session_id   text NOT NULL,
  group_id     text NOT NULL,
  site_id      text NOT NULL DEFAULT '',
  track_id     text NOT NULL,
  lesson_id    text NOT NULL,
  module       text NOT NULL,
  sequence     integer NOT NULL CHECK (sequence > 0),
  cycle        integer NOT NULL CHECK (cycle > 0),
  planned_time timestamptz NOT NULL,
  local_date   date NOT NULL,
  create_time  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, session_id)
);
CREATE INDEX session_plans_by_group ON session_plans (org_id, group_id, local_date, planned_time);
CREATE INDEX session_plans_by_lesson ON session_plans (org_id, lesson_id);

-- What was delivered; at most one per session (re-recording replaces it).
CREATE TABLE deliveries (
  id               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id           text NOT NULL,
  session_id       text NOT NULL,
  group_id         text NOT NULL,
  site_id          text NOT NULL DEFAULT '',
  lesson_id        text NOT NULL,
  phases_completed integer[] NOT NULL DEFAULT '{}',
  fidelity_notes   text NOT NULL DEFAULT '',
  delivered_by     text NOT NULL DEFAULT '',
  fidelity_score   double precision NOT NULL CHECK (fidelity_score >= 0 AND fidelity_score <= 1),
  recorded_by      text NOT NULL,
  session_start    timestamptz NOT NULL,
  local_date       date NOT NULL,
  create_time      timestamptz NOT NULL DEFAULT now(),
  update_time      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, session_id)
);
CREATE INDEX deliveries_by_lesson ON deliveries (org_id, lesson_id);
