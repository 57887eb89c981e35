// What outcomes reads from the scheduling service: clients (existence and
// home site), sessions, and the clients of a group, program or site. Calls
// forward the caller's credentials; scheduling failures become UNAVAILABLE.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/cache.h"
#include "common/call.h"
#include "common/downstream.h"
#include "iop/outcomes/v1/outcomes.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"

namespace iop::outcomes::api {

namespace sched = ::iop::scheduling::v1;

struct Cohort {
  absl::TimeZone zone;                  // the cohort's site's zone: where the date range is read
  std::vector<std::string> client_ids;  // distinct
};

class SchedulingDirectory {
 public:
  SchedulingDirectory(server::Downstream& scheduling, cache::Cache& cache);

  // NOT_FOUND (as scheduling answers it) when the client is missing, of
  // another org or outside the caller's sites. Cached briefly per org.
  sched::Client Client(const server::Call& call, const std::string& client_id);
  sched::Session Session(const server::Call& call, const std::string& session_id);
  sched::Site Site(const server::Call& call, const std::string& site_id);
  // Clients whose non-waitlisted membership in the scope's group(s) overlaps
  // [first, last]. The scope is the request's oneof.
  Cohort CohortOf(const server::Call& call, const iop::outcomes::v1::GetCohortOutcomesRequest& req,
                  absl::CivilDay first, absl::CivilDay last);

 private:
  void AddMembers(const server::Call& call, const std::string& group_id, absl::CivilDay first,
                  absl::CivilDay last, std::vector<std::string>& out);
  std::vector<std::string> GroupsWhere(const server::Call& call, const std::string& program_id,
                                       const std::string& site_id);

  server::Downstream& scheduling_;
  cache::Cache& cache_;
  std::unique_ptr<sched::SchedulingService::Stub> stub_;
};

}  // namespace iop::outcomes::api
