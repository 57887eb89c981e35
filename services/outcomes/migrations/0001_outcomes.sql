-- Org-defined instruments, scored assessments and the risk alerts they open.
-- Built-in instruments live in the binary, not here. site_id is the client's
-- home site when the assessment was stored: it scopes site-limited callers
-- without a call to scheduling on every read.

CREATE TABLE instruments (
  org_id      text NOT NULL,
  code        text NOT NULL,
  seq         bigserial NOT NULL,
  definition  jsonb NOT NULL,  -- iop.outcomes.v1.Instrument in proto JSON
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, code)
);

CREATE TABLE assessments (
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id          text NOT NULL,
  seq             bigserial NOT NULL,
  client_id       text NOT NULL,
  site_id         text NOT NULL DEFAULT '',
  instrument_code text NOT NULL,
  answers         integer[] NOT NULL,
  total_score     double precision NOT NULL,
  severity        text NOT NULL DEFAULT '',
  acute           boolean NOT NULL DEFAULT false,
  critical_items  integer[] NOT NULL DEFAULT '{}',
  administered_at timestamptz NOT NULL,
  session_id      text NOT NULL DEFAULT '',
  risk_alert_ids  text[] NOT NULL DEFAULT '{}',
  submitted_by    text NOT NULL,
  create_time     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id)
);
CREATE INDEX assessments_by_client ON assessments (org_id, client_id, instrument_code, administered_at, id);
CREATE INDEX assessments_by_client_time ON assessments (org_id, client_id, administered_at DESC, id);

CREATE TABLE risk_alerts (
  id               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  org_id           text NOT NULL,
  seq              bigserial NOT NULL,
  client_id        text NOT NULL,
  site_id          text NOT NULL DEFAULT '',
  assessment_id    text NOT NULL,
  instrument_code  text NOT NULL,
  item_number      integer NOT NULL,
  severity         integer NOT NULL CHECK (severity BETWEEN 1 AND 3),
  reason           text NOT NULL,
  open_time        timestamptz NOT NULL DEFAULT now(),
  acknowledged_by  text,
  acknowledge_time timestamptz,
  note             text NOT NULL DEFAULT '',
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, assessment_id) REFERENCES assessments (org_id, id),
  CHECK ((acknowledged_by IS NULL) = (acknowledge_time IS NULL))
);
-- List order: open first, then severity (high first), then age (seq).
CREATE INDEX risk_alerts_by_org ON risk_alerts (org_id, (acknowledge_time IS NOT NULL), severity DESC, seq);
CREATE INDEX risk_alerts_by_client ON risk_alerts (org_id, client_id);
CREATE INDEX risk_alerts_open ON risk_alerts ((1)) WHERE acknowledge_time IS NULL;
