// Attendance asks scheduling about every session and client it writes. A
// stand-in scheduling service holds a small fixed world, so seeds that name
// its ids ("session-now", "client-1") get past the roster check and reach
// the writes, the reports and their SQL.
#include "attendance/app.h"
#include "support/fake_scheduling.h"
#include "common/sql.h"
#include "fuzz_service.h"

namespace {

namespace sched = iop::scheduling::v1;
using iop::fuzz::FuzzOrg;

sched::Session SessionAt(const std::string& id, absl::Time start, absl::TimeZone tz) {
  sched::Session s;
  s.set_id(id);
  s.set_group_id("group-1");
  s.set_site_id("site-1");
  s.set_program_id("program-1");
  *s.mutable_start_time() = iop::sql::TimestampFromMicros(absl::ToUnixMicros(start));
  *s.mutable_end_time() = iop::sql::TimestampFromMicros(absl::ToUnixMicros(start + absl::Hours(3)));
  s.set_local_date(absl::FormatCivilTime(absl::CivilDay(absl::ToCivilSecond(start, tz))));
  s.set_status(sched::SESSION_STATUS_SCHEDULED);
  return s;
}

iop::fuzz::Peers Scheduling() {
  auto fake = std::make_shared<iop::testing::FakeScheduling>();
  absl::TimeZone tz;
  absl::LoadTimeZone("America/New_York", &tz);
  sched::Site site;
  site.set_id("site-1");
  site.set_time_zone("America/New_York");
  fake->Put(FuzzOrg(), site);
  sched::Program program;
  program.set_id("program-1");
  program.set_site_id("site-1");
  program.set_min_weekly_hours(9);
  program.set_daily_minimum_minutes(180);
  program.set_consecutive_absence_threshold(2);
  program.set_min_attendance_rate(0.8);
  fake->Put(FuzzOrg(), program);
  sched::Group group;
  group.set_id("group-1");
  group.set_site_id("site-1");
  group.set_program_id("program-1");
  fake->Put(FuzzOrg(), group);
  for (const char* id : {"client-1", "client-2"}) {
    sched::Client client;
    client.set_id(id);
    client.set_site_id("site-1");
    fake->Put(FuzzOrg(), client);
    sched::Membership m;
    m.set_id(std::string("m-") + id);
    m.set_group_id("group-1");
    m.set_client_id(id);
    m.set_status(sched::MEMBERSHIP_STATUS_ACTIVE);
    m.set_start_date("2020-01-01");
    fake->Put(FuzzOrg(), m);
  }
  const absl::Time now = absl::Now();
  fake->Put(FuzzOrg(), SessionAt("session-now", now - absl::Minutes(30), tz));
  fake->Put(FuzzOrg(), SessionAt("session-past", now - absl::Hours(48), tz));
  const std::string address = fake->address();
  return {fake, [address](iop::config::Config& c) { c.scheduling_addr = address; }};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::attendance::AttendanceApp>::Instance(
      "fuzz_atte", iop::attendance::v1::AttendanceRecord::descriptor()->file()->service(0), Scheduling)
      .Run(data, size);
  return 0;
}
