// Start-up schema migrations. Each service's database carries the runtime's
// own tables (scope "common": idempotency keys, audit log) and the service's
// tables (scope = service name), recorded in schema_migrations.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/migrations.h"

namespace iop::db {

// The runtime's own schema, applied before every service's migrations.
const std::vector<migrations::Migration>& CommonMigrations();

// Applies the common, then the service's migrations that are not yet
// recorded, each in its own transaction, in version order, while holding an
// advisory lock per scope, so replicas starting together apply each one
// exactly once. Throws (naming the migration) when one fails, when the
// database holds a version newer than this binary knows, or when a recorded
// name differs from the binary's (history was rewritten). Throws Unavailable
// when the database cannot be reached.
void ApplyMigrations(const std::string& url, const std::string& service,
                     const std::vector<migrations::Migration>& service_migrations);

// Throws std::runtime_error when the recorded history of `scope` (version ->
// name) contradicts `known`, or `known` itself has duplicate versions.
void CheckHistory(const std::string& scope, const std::vector<migrations::Migration>& known,
                  const std::map<int, std::string>& applied);

// Stable advisory-lock key for a scope (the same in every process).
long long MigrationLockKey(const std::string& scope);

}  // namespace iop::db
