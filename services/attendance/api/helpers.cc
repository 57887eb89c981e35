#include "attendance/api/helpers.h"

#include "common/sql.h"

namespace iop::attendance::api {

void CheckRequestId(errors::Validator& v, const std::string& request_id) {
  v.Require(request_id.size() <= kMaxRequestIdLength, "request_id",
            "must be at most " + std::to_string(kMaxRequestIdLength) + " bytes");
}

void CheckId(errors::Validator& v, const std::string& field, const std::string& id) {
  if (id.empty()) {
    v.Add(field, "is required");
  } else {
    v.Require(id.size() <= kMaxIdLength, field, "must be at most 128 bytes");
  }
}

void CheckRange(errors::Validator& v, const std::string& start_date, const std::string& end_date,
                absl::CivilDay* first, absl::CivilDay* last) {
  bool ok_first = domain::ParseDay(start_date, first);
  bool ok_last = domain::ParseDay(end_date, last);
  v.Require(ok_first, "start_date", "must be a date \"YYYY-MM-DD\"");
  v.Require(ok_last, "end_date", "must be a date \"YYYY-MM-DD\"");
  if (ok_first && ok_last) {
    v.Require(*last >= *first, "end_date", "must not be before start_date");
    v.Require(*last - *first < kMaxRangeDays, "end_date",
              "the range must be at most " + std::to_string(kMaxRangeDays) + " days");
  }
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return sql::TimeFromMicros(sql::MicrosFromTimestamp(ts));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return sql::TimestampFromMicros(absl::ToUnixMicros(t));
}

domain::ProgramRules RulesOf(const store::sched::Program& p) {
  domain::ProgramRules r;
  r.min_weekly_hours = p.min_weekly_hours();
  if (p.daily_minimum_minutes() > 0) r.daily_minimum_minutes = p.daily_minimum_minutes();
  if (p.consecutive_absence_threshold() > 0) {
    r.consecutive_absence_threshold = p.consecutive_absence_threshold();
  }
  if (p.min_attendance_rate() > 0) r.min_attendance_rate = p.min_attendance_rate();
  return r;
}

bool MemberOn(const store::sched::Membership& m, absl::CivilDay day) {
  if (m.status() != store::sched::MEMBERSHIP_STATUS_ACTIVE &&
      m.status() != store::sched::MEMBERSHIP_STATUS_DISCHARGED) {
    return false;
  }
  absl::CivilDay start, end;
  if (!domain::ParseDay(m.start_date(), &start) || day < start) return false;
  return m.end_date().empty() || (domain::ParseDay(m.end_date(), &end) && day <= end);
}

v1::AttendanceRecord Unrecorded(const std::string& org, const store::sched::Session& s,
                                const std::string& client_id) {
  v1::AttendanceRecord r;
  r.set_org_id(org);
  r.set_session_id(s.id());
  r.set_client_id(client_id);
  r.set_group_id(s.group_id());
  r.set_site_id(s.site_id());
  r.set_program_id(s.program_id());
  r.set_local_date(s.local_date());
  r.set_status(v1::ATTENDANCE_STATUS_UNRECORDED);
  return r;
}

absl::TimeZone ZoneOr(const std::string& name) {
  absl::TimeZone tz;
  if (name.empty() || !absl::LoadTimeZone(name, &tz)) return absl::UTCTimeZone();
  return tz;
}

}  // namespace iop::attendance::api
