// Small pieces the handlers share: request checks and conversions between
// scheduling's messages and the domain's plain structs.
#pragma once

#include <string>

#include "attendance/domain/summary.h"
#include "attendance/store/attendance_store.h"
#include "attendance/store/scheduling_peer.h"
#include "common/errors.h"

namespace iop::attendance::api {

constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxIdLength = 128;
constexpr int kMaxRangeDays = 366;

void CheckRequestId(errors::Validator& v, const std::string& request_id);
void CheckId(errors::Validator& v, const std::string& field, const std::string& id);
// Parses start_date/end_date into `first`/`last`, naming the bad field.
void CheckRange(errors::Validator& v, const std::string& start_date, const std::string& end_date,
                absl::CivilDay* first, absl::CivilDay* last);

absl::Time ToTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

domain::ProgramRules RulesOf(const store::sched::Program& program);

// True when the client is expected at a session of the membership's group
// on `day` (active or since discharged, and the day within its dates).
bool MemberOn(const store::sched::Membership& m, absl::CivilDay day);

// An UNRECORDED placeholder for a rostered client without a record.
v1::AttendanceRecord Unrecorded(const std::string& org, const store::sched::Session& session,
                                const std::string& client_id);

// True when `status` says scheduling could not be reached.
inline bool IsUnavailable(const errors::RpcError& e) {
  return e.status().error_code() == grpc::StatusCode::UNAVAILABLE;
}

// "America/New_York" → zone; UTC when unknown.
absl::TimeZone ZoneOr(const std::string& name);

}  // namespace iop::attendance::api
