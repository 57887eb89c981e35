// Typed unary calls for the readable subcommands, and the directory lookups
// (sites, groups, clients) that turn ids into names and time zones.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "absl/time/time.h"
#include "iop/scheduling/v1/scheduling.pb.h"

namespace iopctl {

inline constexpr char kScheduling[] = "/iop.scheduling.v1.SchedulingService/";
inline constexpr char kAttendance[] = "/iop.attendance.v1.AttendanceService/";
inline constexpr char kCurriculum[] = "/iop.curriculum.v1.CurriculumService/";
inline constexpr char kOutcomes[] = "/iop.outcomes.v1.OutcomesService/";

// Calls `service_prefix + method` with the resolved token and address.
grpc::Status CallUnary(const std::string& service_prefix, const std::string& method,
                       const google::protobuf::Message& request, google::protobuf::Message* response);
// The same, printing a failure with its hint; true on success.
bool Invoke(const std::string& service_prefix, const std::string& method,
            const google::protobuf::Message& request, google::protobuf::Message* response);

// --json was given: print responses as JSON instead of tables.
bool JsonOutput();
// Proto-field-name JSON of a message, indented.
std::string ToJson(const google::protobuf::Message& message);
void PrintJson(const google::protobuf::Message& message);

// Every page of a scheduling list, keyed by id. False (already reported)
// when a call failed.
bool LoadSites(std::map<std::string, iop::scheduling::v1::Site>* sites);
bool LoadGroups(const iop::scheduling::v1::ListGroupsRequest& filter,
                std::map<std::string, iop::scheduling::v1::Group>* groups);
bool LoadClients(std::map<std::string, iop::scheduling::v1::Client>* clients);

// The site's zone; UTC (and a note on stderr) for an unknown zone name.
absl::TimeZone SiteZone(const std::map<std::string, iop::scheduling::v1::Site>& sites,
                        const std::string& site_id);
// Name of an id in a loaded map, or the id itself.
template <class M>
std::string NameOf(const std::map<std::string, M>& items, const std::string& id) {
  auto it = items.find(id);
  return it == items.end() || it->second.display_name().empty() ? id : it->second.display_name();
}

// Prints a usage line for a subcommand and returns the usage exit code.
int UsageError(const std::string& message);

}  // namespace iopctl
