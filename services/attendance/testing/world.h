// A small IOP world in the fake scheduling service: one org, one site in
// New York, a program, a group with clients on its roster, and sessions the
// test places in time. Used by attendance's integration tests.
#pragma once

#include <gtest/gtest.h>

#include "attendance/testing/attendance_harness.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "support/fake_scheduling.h"

namespace iop::attendance::testing {

namespace v1 = ::iop::attendance::v1;
namespace sched = ::iop::scheduling::v1;
using iop::testing::FakeScheduling;
using iop::testing::Token;
using iop::testing::WithToken;

struct World {
  FakeScheduling& fake;
  std::string org;
  std::string site = "site-ny";
  std::string program = "prog-adult";
  std::string group = "group-dbt";
  std::vector<std::string> clients;
  absl::TimeZone tz = absl::UTCTimeZone();

  World(FakeScheduling& f, const std::string& name, int roster_size, double min_weekly_hours = 9)
      : fake(f), org(UniqueOrg(name)) {
    EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &tz));
    sched::Site s;
    s.set_id(site);
    s.set_time_zone("America/New_York");
    fake.Put(org, s);
    sched::Program p;
    p.set_id(program);
    p.set_site_id(site);
    p.set_min_weekly_hours(min_weekly_hours);
    p.set_daily_minimum_minutes(180);
    p.set_consecutive_absence_threshold(2);
    p.set_min_attendance_rate(0.8);
    fake.Put(org, p);
    sched::Group g;
    g.set_id(group);
    g.set_site_id(site);
    g.set_program_id(program);
    fake.Put(org, g);
    for (int i = 0; i < roster_size; ++i) AddClient("client-" + std::to_string(i), "2020-01-01");
  }

  std::string AddClient(const std::string& id, const std::string& start_date, const std::string& end_date = "",
                        sched::DischargeType discharge = sched::DISCHARGE_TYPE_UNSPECIFIED) {
    sched::Client c;
    c.set_id(id);
    c.set_display_name("Client " + id);
    c.set_site_id(site);
    fake.Put(org, c);
    sched::Membership m;
    m.set_id("m-" + id);
    m.set_group_id(group);
    m.set_client_id(id);
    m.set_status(end_date.empty() ? sched::MEMBERSHIP_STATUS_ACTIVE : sched::MEMBERSHIP_STATUS_DISCHARGED);
    m.set_start_date(start_date);
    m.set_end_date(end_date);
    m.set_discharge_type(discharge);
    fake.Put(org, m);
    clients.push_back(id);
    return id;
  }

  // A session starting at `start` (absolute) lasting `minutes`.
  std::string AddSession(const std::string& id, absl::Time start, int minutes) {
    sched::Session s;
    s.set_id(id);
    s.set_group_id(group);
    s.set_site_id(site);
    s.set_program_id(program);
    *s.mutable_start_time() = sql::TimestampFromMicros(absl::ToUnixMicros(start));
    *s.mutable_end_time() = sql::TimestampFromMicros(absl::ToUnixMicros(start + absl::Minutes(minutes)));
    s.set_local_date(absl::FormatCivilTime(absl::CivilDay(absl::ToCivilSecond(start, tz))));
    s.set_status(sched::SESSION_STATUS_SCHEDULED);
    fake.Put(org, s);
    return id;
  }
  // A session at a local civil time of the site.
  std::string AddLocalSession(const std::string& id, absl::CivilMinute local, int minutes) {
    return AddSession(id, absl::FromCivil(local, tz), minutes);
  }

  std::string Admin() const { return Token(org, "admin"); }
  std::string As(const std::string& role, const std::vector<std::string>& sites = {},
                 const std::string& subject = "tester") const {
    return Token(org, role, sites, subject);
  }
};

inline grpc::Status CheckIn(v1::AttendanceService::Stub& stub, const std::string& token,
                            const std::string& session, const std::string& client,
                            const std::string& request_id, v1::AttendanceRecord* out,
                            std::optional<int> mood = std::nullopt) {
  v1::CheckInRequest req;
  req.set_session_id(session);
  req.set_client_id(client);
  req.set_request_id(request_id);
  if (mood) req.set_mood_rating(*mood);
  return stub.CheckIn(WithToken(token).get(), req, out);
}

inline v1::AttendanceEntry Entry(const std::string& client, v1::AttendanceStatus status, int minutes = 0,
                                 const std::string& note = "") {
  v1::AttendanceEntry e;
  e.set_client_id(client);
  e.set_status(status);
  e.set_minutes_attended(minutes);
  e.set_note(note);
  return e;
}

inline grpc::Status Record(v1::AttendanceService::Stub& stub, const std::string& token,
                           const std::string& session, const std::vector<v1::AttendanceEntry>& entries,
                           const std::string& request_id, v1::RecordAttendanceResponse* out) {
  v1::RecordAttendanceRequest req;
  req.set_session_id(session);
  for (const auto& e : entries) *req.add_entries() = e;
  req.set_request_id(request_id);
  return stub.RecordAttendance(WithToken(token).get(), req, out);
}

// "TYPE subject" of every PreconditionFailure violation in `status`.
inline std::vector<std::string> Violations(const grpc::Status& status) {
  std::vector<std::string> out;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return out;
  for (const auto& any : rich.details()) {
    google::rpc::PreconditionFailure pf;
    if (!any.UnpackTo(&pf)) continue;
    for (const auto& v : pf.violations()) out.push_back(v.type() + " " + v.subject());
  }
  return out;
}

// Value of a counter or gauge series of the service (label "" = the first
// series); 0 when absent.
inline double MetricValue(AttendanceApp& app, const std::string& name, const std::string& label = "",
                          const std::string& value = "") {
  for (const auto& family : app.runtime().metrics().registry().Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = label.empty();
      for (const auto& l : m.label) match = match || (l.name == label && l.value == value);
      if (match) return family.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return 0;
}

// Count of rows in attendance_records for `org` straight from the database.
inline int RecordRows(const std::string& database_url, const std::string& org) {
  pqxx::connection c(database_url);
  pqxx::work tx(c);
  return tx.exec_params1("SELECT count(*) FROM attendance_records WHERE org_id=$1", org)[0].as<int>();
}

// Sessions of `c`'s database waiting for a lock (a batch held by a test).
inline int WaitingOnLocks(pqxx::connection& c) {
  pqxx::nontransaction q(c);
  return q.exec1("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
      [0].as<int>();
}

}  // namespace iop::attendance::testing
