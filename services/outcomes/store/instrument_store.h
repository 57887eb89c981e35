// Instruments an org can use: the built-in library (in memory) and the org's
// own definitions (PostgreSQL, read through the cache). Both resolve here so
// no handler can forget one of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/cache.h"
#include "common/db.h"
#include "iop/outcomes/v1/outcomes.pb.h"

namespace iop::outcomes::store {

namespace v1 = ::iop::outcomes::v1;

// Identifies one idempotent write: its request and request_id.
struct WriteKey {
  const char* method;
  const google::protobuf::Message& request;
  const std::string& request_id;
};

class InstrumentStore {
 public:
  InstrumentStore(db::Pool& pool, cache::Cache& cache);

  // Stores a definition already checked by the domain; ALREADY_EXISTS when
  // the code is a built-in's or taken in the org.
  v1::Instrument Create(const auth::Caller& caller, const v1::Instrument& instrument, const WriteKey& key);
  // Built-in or the org's own; nullopt when neither.
  std::optional<v1::Instrument> Find(const auth::Caller& caller, const std::string& code);
  // NOT_FOUND naming the code when missing.
  v1::Instrument Get(const auth::Caller& caller, const std::string& code);
  // The org's own instruments, ordered by code.
  std::vector<v1::Instrument> ListOwn(const auth::Caller& caller);

 private:
  db::Pool& pool_;
  cache::Cache& cache_;
};

}  // namespace iop::outcomes::store
