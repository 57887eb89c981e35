#include "common/migrate.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>

#include "common/db.h"
#include "common/log.h"

namespace iop::db {
namespace {

constexpr const char* kCommonScope = "common";

// Without an open transaction CREATE TABLE IF NOT EXISTS is still racy, so
// this runs only while the common scope's lock is held.
void EnsureLedger(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  tx.exec0(R"sql(
    CREATE TABLE IF NOT EXISTS schema_migrations (
      scope      text        NOT NULL,
      version    integer     NOT NULL,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, version)
    ))sql");
}

std::map<int, std::string> AppliedVersions(pqxx::connection& conn, const std::string& scope) {
  pqxx::nontransaction tx(conn);
  std::map<int, std::string> applied;
  for (const auto& row :
       tx.exec_params("SELECT version, name FROM schema_migrations WHERE scope = $1", scope)) {
    applied.emplace(row[0].as<int>(), row[1].as<std::string>());
  }
  return applied;
}

// Session-level advisory lock; also released if the connection drops.
class ScopeLock {
 public:
  ScopeLock(pqxx::connection& conn, const std::string& scope)
      : conn_(conn), key_(MigrationLockKey(scope)) {
    pqxx::nontransaction tx(conn_);
    if (!tx.exec_params1("SELECT pg_try_advisory_lock($1)", key_)[0].as<bool>()) {
      log::Info("waiting for another instance to finish migrations", {{"scope", scope}});
      tx.exec_params("SELECT pg_advisory_lock($1)", key_);
    }
  }
  ~ScopeLock() {
    try {
      pqxx::nontransaction tx(conn_);
      tx.exec_params("SELECT pg_advisory_unlock($1)", key_);
    } catch (const std::exception&) {
      // The connection is gone, and the lock with it.
    }
  }
  ScopeLock(const ScopeLock&) = delete;
  ScopeLock& operator=(const ScopeLock&) = delete;

 private:
  pqxx::connection& conn_;
  long long key_;
};

void ApplyScope(pqxx::connection& conn, const std::string& scope,
                const std::vector<migrations::Migration>& known) {
  ScopeLock lock(conn, scope);
  if (scope == kCommonScope) EnsureLedger(conn);
  // Read only under the lock: another instance may just have applied some.
  const std::map<int, std::string> applied = AppliedVersions(conn, scope);
  CheckHistory(scope, known, applied);

  std::vector<const migrations::Migration*> ordered;
  for (const auto& m : known) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto* a, const auto* b) { return a->version < b->version; });
  for (const migrations::Migration* m : ordered) {
    if (applied.count(m->version) != 0) continue;
    const auto start = std::chrono::steady_clock::now();
    try {
      pqxx::work tx(conn);
      tx.exec(m->sql);
      tx.exec_params0("INSERT INTO schema_migrations (scope, version, name) VALUES ($1, $2, $3)",
                      scope, m->version, m->name);
      tx.commit();
    } catch (const std::exception& e) {
      throw std::runtime_error("migration " + scope + "/" + m->name + " failed: " + e.what());
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start).count();
    log::Info("applied migration", {{"scope", scope}, {"version", m->version},
                                    {"name", m->name}, {"ms", ms}});
  }
}

}  // namespace

long long MigrationLockKey(const std::string& scope) {
  // FNV-1a 64: fixed by definition, unlike std::hash, so every replica agrees.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : "iop.schema_migrations/" + scope) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return static_cast<long long>(h);
}

void CheckHistory(const std::string& scope, const std::vector<migrations::Migration>& known,
                  const std::map<int, std::string>& applied) {
  std::map<int, const migrations::Migration*> by_version;
  for (const auto& m : known) {
    if (m.version <= 0) {
      throw std::runtime_error("migration " + scope + "/" + m.name + " has no positive version");
    }
    if (!by_version.emplace(m.version, &m).second) {
      throw std::runtime_error("two " + scope + " migrations share version " +
                               std::to_string(m.version));
    }
  }
  const int newest_known = by_version.empty() ? 0 : by_version.rbegin()->first;
  const int newest_applied = applied.empty() ? 0 : applied.rbegin()->first;
  for (const auto& [version, name] : applied) {
    auto it = by_version.find(version);
    if (it == by_version.end() && version > newest_known) {
      throw std::runtime_error("database " + scope + " schema is at version " +
                               std::to_string(version) + " (" + name +
                               "), newer than this binary knows (" + std::to_string(newest_known) +
                               "); refusing to start: run the newer release");
    }
    if (it == by_version.end()) {
      throw std::runtime_error("applied migration " + scope + "/" + name +
                               " is missing from this binary; migration history was changed");
    }
    if (it->second->name != name) {
      throw std::runtime_error("migration " + scope + " version " + std::to_string(version) +
                               " was applied as " + name + " but this binary calls it " +
                               it->second->name + "; migration history was changed");
    }
  }
  // A new migration numbered below an applied one would run out of order
  // against a schema it was never written for.
  for (const auto& [version, m] : by_version) {
    if (applied.count(version) == 0 && version < newest_applied) {
      throw std::runtime_error("migration " + scope + "/" + m->name +
                               " is numbered below the applied version " +
                               std::to_string(newest_applied) + "; renumber it");
    }
  }
}

void ApplyMigrations(const std::string& url, const std::string& service,
                     const std::vector<migrations::Migration>& service_migrations) {
  if (service.empty() || service == kCommonScope) {
    throw std::invalid_argument("migrations need a service name other than '" +
                                std::string(kCommonScope) + "'");
  }
  std::unique_ptr<pqxx::connection> conn;
  try {
    // No statement timeout: an index build may take longer than any query.
    conn = std::make_unique<pqxx::connection>(
        ConnectionString(url, service + "-migrate", std::chrono::milliseconds(0),
                         std::chrono::seconds(10)));
  } catch (const std::exception& e) {
    throw Unavailable(std::string("cannot connect to the database to apply migrations: ") +
                      e.what());
  }
  ApplyScope(*conn, kCommonScope, CommonMigrations());
  ApplyScope(*conn, service, service_migrations);
}

}  // namespace iop::db
