// Readable scheduling commands: sites, groups, sessions, roster.
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "iop/attendance/v1/attendance.pb.h"
#include "iopctl/format.h"
#include "iopctl/iopctl.h"
#include "iopctl/rpc.h"
#include "iopctl/table.h"

ABSL_FLAG(std::string, site, "", "only this site (groups, sessions, alerts)");
ABSL_FLAG(std::string, group, "", "only this group (sessions)");
ABSL_FLAG(std::string, client, "", "only sessions this client is on the roster of (sessions)");
ABSL_FLAG(std::string, week, "", "any date of the week to show, YYYY-MM-DD (sessions; default: this week)");
ABSL_FLAG(std::string, name, "", "display name (sites create)");
ABSL_FLAG(std::string, tz, "", "IANA time zone such as America/New_York (sites create)");

namespace iopctl {
namespace {

namespace sched = iop::scheduling::v1;
namespace att = iop::attendance::v1;
using google::protobuf::util::TimeUtil;

absl::Time ToAbsl(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(t));
}

int CreateSite() {
  sched::CreateSiteRequest request;
  request.mutable_site()->set_display_name(absl::GetFlag(FLAGS_name));
  request.mutable_site()->set_time_zone(absl::GetFlag(FLAGS_tz));
  if (request.site().display_name().empty() || request.site().time_zone().empty()) {
    return UsageError("usage: iopctl sites create --name \"Riverside Clinic\" --tz America/New_York");
  }
  sched::Site site;
  if (!Invoke(kScheduling, "CreateSite", request, &site)) return kCallFailed;
  if (JsonOutput()) {
    PrintJson(site);
  } else {
    std::printf("created site %s (%s, %s)\n", site.id().c_str(), site.display_name().c_str(),
                site.time_zone().c_str());
  }
  return kOk;
}

}  // namespace

int Sites(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "create") return CreateSite();
  if (!args.empty()) return UsageError("usage: iopctl sites [create --name NAME --tz ZONE]");
  std::map<std::string, sched::Site> sites;
  if (!LoadSites(&sites)) return kCallFailed;
  sched::ListSitesResponse all;
  for (const auto& [id, site] : sites) *all.add_sites() = site;
  if (JsonOutput()) {
    PrintJson(all);
    return kOk;
  }
  Table table({"SITE", "TIME ZONE", "LOCAL TIME NOW", "ID"});
  for (const auto& site : all.sites()) {
    table.AddRow({site.display_name(), site.time_zone(),
                  FormatLocalTime(absl::Now(), SiteZone(sites, site.id())), site.id()});
  }
  std::printf("%s", table.Render().c_str());
  if (table.size() == 0) std::printf("(no sites yet: iopctl sites create --name NAME --tz ZONE)\n");
  return kOk;
}

int Groups(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("usage: iopctl groups [--site SITE_ID]");
  sched::ListGroupsRequest filter;
  filter.set_site_id(absl::GetFlag(FLAGS_site));
  std::map<std::string, sched::Group> groups;
  std::map<std::string, sched::Site> sites;
  if (!LoadGroups(filter, &groups) || !LoadSites(&sites)) return kCallFailed;
  if (JsonOutput()) {
    sched::ListGroupsResponse all;
    for (const auto& [id, group] : groups) *all.add_groups() = group;
    PrintJson(all);
    return kOk;
  }
  // By name, as ListGroups orders them.
  std::vector<const sched::Group*> ordered;
  for (const auto& [id, g] : groups) ordered.push_back(&g);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto* a, const auto* b) { return a->display_name() < b->display_name(); });
  Table table({"GROUP", "MODALITY", "SITE", "MEETS", "SIZE", "STATUS", "ID"});
  for (const sched::Group* group : ordered) {
    const sched::Group& g = *group;
    const std::string& id = g.id();
    std::string days;
    for (int d : g.recurrence().weekdays()) {
      days += (days.empty() ? "" : ",") + EnumLabel(iop::common::v1::Weekday_descriptor(), d).substr(0, 3);
    }
    table.AddRow({g.display_name(), EnumLabel(iop::common::v1::Modality_descriptor(), g.modality()),
                  NameOf(sites, g.site_id()),
                  days + " " + g.recurrence().start_local_time() + " (" +
                      std::to_string(g.recurrence().duration_minutes()) + " min)",
                  std::to_string(g.min_size()) + "-" + std::to_string(g.max_size()),
                  EnumLabel(sched::GroupStatus_descriptor(), g.status()), id});
  }
  std::printf("%s", table.Render().c_str());
  return kOk;
}

int Sessions(const std::vector<std::string>& args) {
  if (!args.empty()) {
    return UsageError("usage: iopctl sessions [--group ID | --site ID | --client ID] [--week YYYY-MM-DD]");
  }
  absl::CivilDay anchor = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  if (!absl::GetFlag(FLAGS_week).empty() && !ParseDate(absl::GetFlag(FLAGS_week), &anchor)) {
    return UsageError("--week wants a date like 2025-03-10, got \"" + absl::GetFlag(FLAGS_week) + "\"");
  }
  absl::CivilDay monday = WeekStart(anchor);
  std::string first = absl::FormatCivilTime(monday), last = absl::FormatCivilTime(monday + 6);
  // Ask for a range wide enough for every zone on Earth, then keep the
  // sessions whose local date (in their site's zone) falls in the week.
  sched::ListSessionsRequest request;
  request.set_group_id(absl::GetFlag(FLAGS_group));
  request.set_site_id(absl::GetFlag(FLAGS_site));
  request.set_client_id(absl::GetFlag(FLAGS_client));
  *request.mutable_start_time() = ToProto(absl::FromCivil(monday, absl::UTCTimeZone()) - absl::Hours(15));
  *request.mutable_end_time() = ToProto(absl::FromCivil(monday + 7, absl::UTCTimeZone()) + absl::Hours(15));
  request.set_page_size(500);
  sched::ListSessionsResponse week;
  for (;;) {
    sched::ListSessionsResponse page;
    if (!Invoke(kScheduling, "ListSessions", request, &page)) return kCallFailed;
    for (const auto& s : page.sessions()) {
      if (s.local_date() >= first && s.local_date() <= last) *week.add_sessions() = s;
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (JsonOutput()) {
    PrintJson(week);
    return kOk;
  }
  std::map<std::string, sched::Site> sites;
  std::map<std::string, sched::Group> groups;
  if (!LoadSites(&sites) || !LoadGroups(sched::ListGroupsRequest(), &groups)) return kCallFailed;
  std::printf("Week of %s to %s (times in each site's zone)\n", first.c_str(), last.c_str());
  Table table({"WHEN (SITE TIME)", "GROUP", "SITE", "STATUS", "SESSION ID"});
  for (const auto& s : week.sessions()) {
    table.AddRow({FormatSessionTime(ToAbsl(s.start_time()), ToAbsl(s.end_time()), SiteZone(sites, s.site_id())),
                  NameOf(groups, s.group_id()), NameOf(sites, s.site_id()),
                  EnumLabel(sched::SessionStatus_descriptor(), s.status()), s.id()});
  }
  std::printf("%s", table.Render().c_str());
  if (table.size() == 0) std::printf("(no sessions that week; try --week with another date)\n");
  return kOk;
}

int Roster(const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: iopctl roster SESSION_ID");
  sched::GetSessionRosterRequest request;
  request.set_session_id(args[0]);
  sched::GetSessionRosterResponse roster;
  if (!Invoke(kScheduling, "GetSessionRoster", request, &roster)) return kCallFailed;
  // Attendance is optional here: without the service the roster still shows.
  att::GetSessionAttendanceRequest att_request;
  att_request.set_session_id(args[0]);
  att::GetSessionAttendanceResponse attendance;
  grpc::Status att_status = CallUnary(kAttendance, "GetSessionAttendance", att_request, &attendance);
  if (JsonOutput()) {
    PrintJson(roster);
    if (att_status.ok()) PrintJson(attendance);
    return kOk;
  }
  std::map<std::string, att::AttendanceRecord> records;
  for (const auto& r : attendance.entries()) records[r.client_id()] = r;
  std::map<std::string, sched::Site> sites;
  std::map<std::string, sched::Group> groups;
  if (!LoadSites(&sites) || !LoadGroups(sched::ListGroupsRequest(), &groups)) return kCallFailed;
  const auto& s = roster.session();
  std::printf("%s at %s, %s (%s)\n", NameOf(groups, s.group_id()).c_str(), NameOf(sites, s.site_id()).c_str(),
              FormatSessionTime(ToAbsl(s.start_time()), ToAbsl(s.end_time()), SiteZone(sites, s.site_id())).c_str(),
              EnumLabel(sched::SessionStatus_descriptor(), s.status()).c_str());
  Table table({"CLIENT", "ATTENDANCE", "MINUTES", "CLIENT ID"});
  for (const auto& e : roster.entries()) {
    auto it = records.find(e.client_id());
    std::string status = att_status.ok() ? "UNRECORDED" : "?";
    std::string minutes;
    if (it != records.end()) {
      status = EnumLabel(att::AttendanceStatus_descriptor(), it->second.status());
      if (it->second.version() > 0) minutes = std::to_string(it->second.minutes_attended());
    }
    table.AddRow({e.display_name(), status, minutes, e.client_id()});
  }
  std::printf("%s", table.Render().c_str());
  if (table.size() == 0) std::printf("(nobody is enrolled for this session's date)\n");
  if (!att_status.ok()) {
    std::printf("(attendance not shown: %s)\n", att_status.error_message().c_str());
  }
  return kOk;
}

}  // namespace iopctl
