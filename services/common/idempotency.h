// request_id idempotency, durable in the service's PostgreSQL database.
//
// Use inside the write transaction itself:
//   pool.Transact([&](pqxx::work& tx) {
//     if (auto done = idempotency::Claim(tx, org, "CheckIn", req.request_id(), fp))
//       return Parse(*done);              // the first call's response
//     ... do the work ...
//     idempotency::Complete(tx, org, "CheckIn", req.request_id(), resp.SerializeAsString());
//     return resp;
//   });
// A rollback releases the claim with the work; a commit stores both at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iop::db {
class Pool;
}

namespace iop::idempotency {

// The request_id was already used for a different request (→ INVALID_ARGUMENT
// on the request_id field).
class RequestIdReused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Stable 128-bit fingerprint (32 hex digits) of the serialized request with
// its request_id cleared. Two FNV-1a 64 passes with different offset bases:
// not cryptographic, only meant to catch an id reused for another request.
std::string Fingerprint(std::string_view bytes);

// Call first in the write transaction. Claims (org, method, request_id); if
// another transaction holds that claim, waits for it to commit or roll back.
// Returns the stored response when the request was already done, nullopt
// when the caller should do the work (or request_id is empty). Throws
// RequestIdReused when the stored fingerprint differs.
std::optional<std::string> Claim(pqxx::work& tx, const std::string& org, const std::string& method,
                                 const std::string& request_id, const std::string& fingerprint);

// Call last in the same transaction with the serialized response.
void Complete(pqxx::work& tx, const std::string& org, const std::string& method,
              const std::string& request_id, const std::string& response_bytes);

// An INSERT of claims already answered, for writes that know their response
// before their statement runs: `rows` is a SELECT (or VALUES) giving org,
// method, request_id, fingerprint and response (bytea). Inserts nothing for
// a key that exists; add RETURNING to learn which.
std::string InsertAnsweredSql(const std::string& rows);

// Deletes claims older than max_age in small batches (each its own
// transaction, so it never holds long locks); returns how many went.
std::int64_t Purge(db::Pool& pool, std::chrono::hours max_age);

}  // namespace iop::idempotency
