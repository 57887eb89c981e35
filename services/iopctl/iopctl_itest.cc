// Runs the iopctl binary against an in-process scheduling service: the
// readable commands end to end (tables, --json, local times, exit codes).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <string>

#include "scheduling/app.h"
#include "support/service_harness.h"

namespace {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

class IopctlCli : public ::testing::Test {
 protected:
  iop::testing::InProcess<iop::scheduling::SchedulingApp> svc_{"iopctl"};

  Result Run(const std::string& args, const std::string& org = "org-cli") {
    std::string token = iop::testing::Token(org, "admin");
    std::string command = std::string(IOPCTL_PATH) + " --addr 127.0.0.1:" + std::to_string(svc_.port()) +
                          " --token " + token + " " + args + " 2>&1";
    Result r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    int status = ::pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  static std::string IdIn(const std::string& json) {
    std::smatch m;
    return std::regex_search(json, m, std::regex("\"id\": \"([^\"]+)\"")) ? m[1].str() : "";
  }
};

TEST_F(IopctlCli, SitesCreateThenListAsTableAndJson) {
  Result created = Run("sites create --name 'Riverside Clinic' --tz America/New_York");
  ASSERT_EQ(created.code, 0) << created.out;
  EXPECT_NE(created.out.find("created site"), std::string::npos) << created.out;

  Result table = Run("sites");
  ASSERT_EQ(table.code, 0) << table.out;
  EXPECT_EQ(table.out.rfind("SITE ", 0), 0u) << table.out;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("Riverside Clinic +America/New_York +\\d{4}-\\d\\d-\\d\\d "
                                                      "\\d\\d:\\d\\d E[SD]T")))
      << table.out;

  Result json = Run("--json sites");
  ASSERT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("\"time_zone\": \"America/New_York\""), std::string::npos) << json.out;

  // Another org sees none of it.
  Result other = Run("sites", "org-other");
  ASSERT_EQ(other.code, 0) << other.out;
  EXPECT_EQ(other.out.find("Riverside"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("no sites yet"), std::string::npos) << other.out;
}

TEST_F(IopctlCli, SessionsShowTheSiteClockAcrossDaylightSaving) {
  std::string site = IdIn(Run("--json sites create --name Denver --tz America/Denver").out);
  ASSERT_FALSE(site.empty());
  Result program = Run("call SchedulingService/CreateProgram '{\"program\": {\"site_id\": \"" + site +
                       "\", \"display_name\": \"Adult MH\", \"age_group\": \"AGE_GROUP_ADULT\", "
                       "\"focus\": \"PROGRAM_FOCUS_MENTAL_HEALTH\"}}'");
  ASSERT_EQ(program.code, 0) << program.out;
  Result group = Run("call SchedulingService/CreateGroup '{\"group\": {\"program_id\": \"" + IdIn(program.out) +
                     "\", \"display_name\": \"DBT Skills\", \"modality\": \"MODALITY_DBT_SKILLS\", "
                     "\"recurrence\": {\"weekdays\": [\"WEEKDAY_MONDAY\", \"WEEKDAY_SUNDAY\"], "
                     "\"start_local_time\": \"09:00\", \"duration_minutes\": 150, \"starts_on\": \"2025-10-27\"}}}'");
  ASSERT_EQ(group.code, 0) << group.out;
  std::string group_id = IdIn(group.out);

  // Denver left daylight time on Sunday 2025-11-02: same 09:00 wall clock,
  // MDT on the Monday before and MST from that Sunday on. --week takes any
  // day of the week; weeks run Monday to Sunday.
  Result before = Run("sessions --group " + group_id + " --week 2025-10-29");
  ASSERT_EQ(before.code, 0) << before.out;
  EXPECT_NE(before.out.find("Week of 2025-10-27 to 2025-11-02"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("Mon 2025-10-27 09:00-11:30 MDT  DBT Skills  Denver"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("Sun 2025-11-02 09:00-11:30 MST"), std::string::npos) << before.out;
  EXPECT_EQ(before.out.find("2025-11-03"), std::string::npos) << before.out;

  Result groups = Run("groups --site " + site);
  ASSERT_EQ(groups.code, 0) << groups.out;
  EXPECT_NE(groups.out.find("DBT Skills  DBT_SKILLS  Denver  MON,SUN 09:00 (150 min)  6-12  ACTIVE"),
            std::string::npos)
      << groups.out;

  // The roster of a session nobody joined: an empty table and a note,
  // attendance shown as unavailable (no attendance service here).
  Result roster = Run("roster " + group_id + "_20251027");
  ASSERT_EQ(roster.code, 0) << roster.out;
  EXPECT_NE(roster.out.find("DBT Skills at Denver, Mon 2025-10-27 09:00-11:30 MDT"), std::string::npos)
      << roster.out;
  EXPECT_NE(roster.out.find("nobody is enrolled"), std::string::npos) << roster.out;
}

TEST_F(IopctlCli, MistakesExplainWhatToDo) {
  Result zone = Run("sites create --name X --tz Mars/Olympus");
  EXPECT_EQ(zone.code, 1) << zone.out;
  EXPECT_NE(zone.out.find("INVALID_ARGUMENT"), std::string::npos) << zone.out;

  Result week = Run("sessions --week 2025-02-30");
  EXPECT_EQ(week.code, 2) << week.out;
  EXPECT_NE(week.out.find("--week wants a date"), std::string::npos) << week.out;

  Result missing = Run("roster no-such-session");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("NOT_FOUND"), std::string::npos) << missing.out;

  Result answers = Run("assess c1 --instrument PHQ-9 --answers 1,,2");
  EXPECT_EQ(answers.code, 2) << answers.out;
  EXPECT_NE(answers.out.find("answer 2"), std::string::npos) << answers.out;

  Result status = Run("attend s1 c1 --status here");
  EXPECT_EQ(status.code, 2) << status.out;
  EXPECT_NE(status.out.find("ABSENT_UNEXCUSED"), std::string::npos) << status.out;

  Result unknown = Run("rosters");
  EXPECT_EQ(unknown.code, 2) << unknown.out;
}

TEST_F(IopctlCli, UnreachableServiceSaysHowToStartIt) {
  std::string command = std::string(IOPCTL_PATH) + " --addr 127.0.0.1:1 --token x sites 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("UNAVAILABLE"), std::string::npos) << out;
  EXPECT_NE(out.find("make run"), std::string::npos) << out;
}

}  // namespace
