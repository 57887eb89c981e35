// The runtime's own tables, present in every service's database under the
// migration scope "common" (versions independent of the service's).
#include "common/migrate.h"

namespace iop::db {

const std::vector<migrations::Migration>& CommonMigrations() {
  static const std::vector<migrations::Migration> kMigrations = {
      {1, "0001_idempotency_keys", R"sql(
CREATE TABLE idempotency_keys (
  org_id      text        NOT NULL,
  method      text        NOT NULL,
  request_id  text        NOT NULL,
  fingerprint text        NOT NULL,
  response    bytea,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, method, request_id)
);
-- Purging by age scans this, not the whole table.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
)sql"},
      {2, "0002_audit_events", R"sql(
CREATE TABLE audit_events (
  id           bigserial   PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  org_id       text        NOT NULL,
  subject      text        NOT NULL,
  roles        text[]      NOT NULL,
  method       text        NOT NULL,
  resource_ids text[]      NOT NULL,
  outcome      text        NOT NULL,
  detail       text        NOT NULL DEFAULT ''
);
-- Matches the listing order: newest first within an org.
CREATE INDEX audit_events_org_time ON audit_events (org_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_resource_ids ON audit_events USING gin (resource_ids);

-- Append-only in the database itself, whatever the application does. (The
-- table owner can still drop the trigger; a service role that does not own
-- the table and holds only INSERT and SELECT closes that gap.)
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
)sql"},
  };
  return kMigrations;
}

}  // namespace iop::db
