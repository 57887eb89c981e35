#include "outcomes/store/instrument_store.h"

#include <google/protobuf/util/json_util.h>

#include "common/errors.h"
#include "common/idempotent.h"
#include "common/sql.h"
#include "outcomes/domain/builtin.h"
#include "outcomes/store/convert.h"

namespace iop::outcomes::store {
namespace {

// Definitions never change once created, so a long TTL is safe.
constexpr auto kInstrumentTtl = std::chrono::minutes(30);

std::string ToJson(const v1::Instrument& instrument) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(instrument, &json, options).ok()) {
    throw std::runtime_error("instrument not serializable");
  }
  return json;
}

v1::Instrument ReadInstrument(const pqxx::row& r) {
  v1::Instrument out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(r[0].c_str(), &out, options).ok()) {
    throw std::runtime_error("stored instrument unreadable");
  }
  *out.mutable_create_time() = sql::TimestampFromMicros(r[1].as<int64_t>());
  return out;
}

const std::string kCols = "definition::text, " + sql::EpochMicros("create_time");

}  // namespace

InstrumentStore::InstrumentStore(db::Pool& pool, cache::Cache& cache) : pool_(pool), cache_(cache) {
  pool_.Prepare("instrument_insert",
                "INSERT INTO instruments (org_id, code, definition) VALUES ($1,$2,$3::jsonb) "
                "ON CONFLICT (org_id, code) DO NOTHING RETURNING " + kCols);
  pool_.Prepare("instrument_get", "SELECT " + kCols + " FROM instruments WHERE org_id=$1 AND code=$2");
  pool_.Prepare("instrument_list", "SELECT " + kCols + " FROM instruments WHERE org_id=$1 ORDER BY code");
}

v1::Instrument InstrumentStore::Create(const auth::Caller& caller, const v1::Instrument& instrument,
                                       const WriteKey& key) {
  auto taken = [&] {
    errors::Throw(errors::AlreadyExists("iop.outcomes.v1.Instrument", instrument.code(),
                                        "instrument.code: \"" + instrument.code() +
                                            "\" is already a built-in or one of the org's instruments"));
  };
  if (domain::FindBuiltIn(instrument.code()) != nullptr) taken();
  v1::Instrument stored = instrument;
  stored.set_org_id(caller.org);
  stored.set_built_in(false);
  stored.clear_create_time();
  return idempotency::WriteOnce<v1::Instrument>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto rows = tx.exec_prepared("instrument_insert", caller.org, stored.code(), ToJson(stored));
        if (rows.empty()) taken();
        return ReadInstrument(rows[0]);
      },
      {.invalidate = [&](const v1::Instrument& created) {
        cache_.Invalidate({cache::Key(caller.org, "instrument", created.code()),
                           cache::Key(caller.org, "instruments", "own")});
      }});
}

std::optional<v1::Instrument> InstrumentStore::Find(const auth::Caller& caller, const std::string& code) {
  if (const auto* built_in = domain::FindBuiltIn(code)) return ToProto(*built_in);
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "instrument", code), kInstrumentTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto rows = tx.exec_prepared("instrument_get", caller.org, code);
          if (rows.empty()) return std::nullopt;
          return ReadInstrument(rows[0]).SerializeAsString();
        }, "instrument_get");
      },
      "instrument");
  v1::Instrument out;
  if (!bytes || !out.ParseFromString(*bytes)) return std::nullopt;
  return out;
}

v1::Instrument InstrumentStore::Get(const auth::Caller& caller, const std::string& code) {
  auto found = Find(caller, code);
  if (!found) errors::Throw(errors::NotFound("iop.outcomes.v1.Instrument", code));
  return *found;
}

std::vector<v1::Instrument> InstrumentStore::ListOwn(const auth::Caller& caller) {
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "instruments", "own"), kInstrumentTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          v1::ListInstrumentsResponse list;
          for (const auto& row : tx.exec_prepared("instrument_list", caller.org)) {
            *list.add_instruments() = ReadInstrument(row);
          }
          return list.SerializeAsString();
        }, "instrument_list");
      },
      "instruments");
  v1::ListInstrumentsResponse list;
  if (bytes) list.ParseFromString(*bytes);
  return {list.instruments().begin(), list.instruments().end()};
}

}  // namespace iop::outcomes::store
