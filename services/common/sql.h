// Small conversions between PostgreSQL values and protobuf/absl types that
// every store needs.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace iop::sql {

// A PostgreSQL array literal ("{"a","b"}") with every element quoted, for
// binding a text[] parameter.
std::string TextArray(const std::vector<std::string>& values);
// Parses a text[] column value as returned by the server.
std::vector<std::string> ParseTextArray(const std::string& literal);

// SQL expression yielding microseconds since the epoch of a timestamptz column.
std::string EpochMicros(const std::string& column);
// SQL expression yielding the timestamptz bound as microseconds since the
// epoch in parameter $n (its inverse, for writes).
std::string MicrosParam(int n);
// The same for any bigint SQL expression (a column of an unnested array).
std::string FromMicros(const std::string& expression);
// Lower-case hex of `bytes`, for bytea travelling as text (decode(x, 'hex')).
std::string Hex(std::string_view bytes);
google::protobuf::Timestamp TimestampFromMicros(int64_t micros);
int64_t MicrosFromTimestamp(const google::protobuf::Timestamp& ts);
absl::Time TimeFromMicros(int64_t micros);

}  // namespace iop::sql
