#include "common/idempotency.h"

#include <cstdio>

#include "common/db.h"

namespace iop::idempotency {
namespace {

std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr int kPurgeBatch = 1000;

constexpr const char* kClaimName = "iop_idempotency_claim";
constexpr const char* kClaimSql =
    "INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, method, request_id) DO NOTHING";
constexpr const char* kReadName = "iop_idempotency_read";
constexpr const char* kReadSql =
    "SELECT fingerprint, response FROM idempotency_keys "
    "WHERE org_id = $1 AND method = $2 AND request_id = $3";
constexpr const char* kCompleteName = "iop_idempotency_complete";
constexpr const char* kCompleteSql =
    "UPDATE idempotency_keys SET response = $4 "
    "WHERE org_id = $1 AND method = $2 AND request_id = $3";

// Registers the statement on the transaction's connection (a no-op after the
// first time); the server prepares it once per connection.
void Prepare(pqxx::work& tx, const char* name, const char* sql) { tx.conn().prepare(name, sql); }

}  // namespace

std::string Fingerprint(std::string_view bytes) {
  // The standard offset basis, then a second one so the halves differ.
  const std::uint64_t a = Fnv1a64(bytes, 0xcbf29ce484222325ULL);
  const std::uint64_t b = Fnv1a64(bytes, 0x84222325cbf29ce4ULL ^ bytes.size());
  char out[33];
  std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return out;
}

std::string InsertAnsweredSql(const std::string& rows) {
  return "INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint, response) " + rows +
         " ON CONFLICT (org_id, method, request_id) DO NOTHING";
}

std::optional<std::string> Claim(pqxx::work& tx, const std::string& org, const std::string& method,
                                 const std::string& request_id, const std::string& fingerprint) {
  if (request_id.empty()) return std::nullopt;
  // Two rounds: a purge may delete the row between our conflict and our read.
  for (int round = 0; round < 2; ++round) {
    // Blocks on a concurrent uncommitted claim of the same key until that
    // transaction ends: the duplicate then sees its result, or takes over.
    Prepare(tx, kClaimName, kClaimSql);
    const pqxx::result inserted = tx.exec_prepared(kClaimName, org, method, request_id, fingerprint);
    if (inserted.affected_rows() == 1) return std::nullopt;

    Prepare(tx, kReadName, kReadSql);
    const pqxx::result done = tx.exec_prepared(kReadName, org, method, request_id);
    if (done.empty()) continue;
    if (done[0][0].as<std::string>() != fingerprint) {
      throw RequestIdReused("request_id " + request_id + " was already used for a different " +
                            method + " request");
    }
    if (done[0][1].is_null()) {
      throw std::logic_error("request " + method + "/" + request_id +
                             " committed without a stored response");
    }
    return pqxx::binarystring(done[0][1]).str();
  }
  throw std::runtime_error("could not claim request_id " + request_id);
}

void Complete(pqxx::work& tx, const std::string& org, const std::string& method,
              const std::string& request_id, const std::string& response_bytes) {
  if (request_id.empty()) return;
  Prepare(tx, kCompleteName, kCompleteSql);
  const pqxx::result updated =
      tx.exec_prepared(kCompleteName, org, method, request_id, pqxx::binarystring(response_bytes));
  if (updated.affected_rows() != 1) {
    throw std::logic_error("Complete without Claim for " + method + "/" + request_id);
  }
}

std::int64_t Purge(db::Pool& pool, std::chrono::hours max_age) {
  std::int64_t total = 0;
  for (;;) {
    const std::int64_t n = pool.Transact(
        [&](pqxx::work& tx) -> std::int64_t {
          return tx
              .exec_params(
                  "DELETE FROM idempotency_keys WHERE ctid IN ("
                  " SELECT ctid FROM idempotency_keys"
                  " WHERE created_at < now() - make_interval(hours => $1) LIMIT $2)",
                  static_cast<long long>(max_age.count()), kPurgeBatch)
              .affected_rows();
        },
        "idempotency_purge");
    total += n;
    if (n < kPurgeBatch) return total;
  }
}

}  // namespace iop::idempotency
