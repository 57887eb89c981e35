// The small world the drills run against: org A with two sites and org B
// with one, each site holding a program, rooms, staff, groups, enrolled
// clients, sessions, an attendance record, an assessment with its risk alert
// and a lesson plan, so every request names real ids.
#pragma once

#include <string>

#include "security/platform.h"

namespace iop::security {

// Everything one site of one org holds (org-wide things are repeated in each
// place of the org, so a request factory needs only its place).
struct Place {
  std::string org, site, admin;  // admin: an unlimited admin token of the org
  std::string program, room, room2, staff, staff2;
  std::string group;             // weekly on Mondays, client enrolled
  std::string closable_group;    // closed by the CloseGroup drill
  std::string client;            // enrolled in `group`, has records everywhere
  std::string discharge_client;  // enrolled in `group`, discharged by the drill
  std::string enroll_client;     // not enrolled: enrolled by the drill
  std::string session;           // first session of `group`: attendance recorded, plan set
  std::string checkin_session;   // second session: checked in and out by the drills
  std::string cancel_session, reschedule_session;
  std::string starts_on, ends_on, week_start;  // civil dates of `group`
  std::string drill_weekday_day;               // a future Thursday inside the group's range
  std::string lesson, track;                   // org-wide curriculum
  std::string attendance_record, assessment, risk_alert;
};

// The three places a drill may aim at.
enum class Target { kHome, kOtherOrg, kOtherSite };

struct World {
  std::string run;  // unique per test run: the shared Redis keeps cached rows by org
  Place home;       // org A, site A
  Place other_site; // org A, site B
  Place other_org;  // org B, site A
  std::string org_a, org_b;

  const Place& At(Target t) const {
    return t == Target::kHome ? home : t == Target::kOtherOrg ? other_org : other_site;
  }
  // Seeds both orgs through the public APIs as their admins.
  void Seed(Platform& platform);
};

}  // namespace iop::security
