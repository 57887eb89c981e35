#include "outcomes/api/scheduling_directory.h"

#include <algorithm>

#include "common/errors.h"

namespace iop::outcomes::api {
namespace {

// Short: a client moving to another site should not stay visible long.
constexpr auto kClientTtl = std::chrono::minutes(2);
constexpr int kPageSize = 500;
constexpr int kMaxPages = 200;

bool ParseDay(const std::string& text, absl::CivilDay* day) { return absl::ParseCivilTime(text, day); }

}  // namespace

SchedulingDirectory::SchedulingDirectory(server::Downstream& scheduling, cache::Cache& cache)
    : scheduling_(scheduling), cache_(cache), stub_(sched::SchedulingService::NewStub(scheduling.channel())) {}

sched::Client SchedulingDirectory::Client(const server::Call& call, const std::string& client_id) {
  const auth::Caller& caller = call.caller();
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "client", client_id), kClientTtl,
      [&]() -> std::optional<std::string> {
        sched::GetClientRequest req;
        req.set_id(client_id);
        sched::Client out;
        grpc::Status status = stub_->GetClient(scheduling_.ContextFor(call).get(), req, &out);
        if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
        scheduling_.Check(status, "GetClient");
        return out.SerializeAsString();
      },
      "client");
  sched::Client client;
  // The cache is per org, not per caller: apply the caller's site limit here.
  const bool visible = bytes && client.ParseFromString(*bytes) &&
                       (!caller.site_limited() || (!client.site_id().empty() && caller.SeesSite(client.site_id())));
  if (!visible) errors::Throw(errors::NotFound("iop.scheduling.v1.Client", client_id));
  return client;
}

sched::Session SchedulingDirectory::Session(const server::Call& call, const std::string& session_id) {
  sched::GetSessionRequest req;
  req.set_id(session_id);
  sched::Session out;
  scheduling_.Check(stub_->GetSession(scheduling_.ContextFor(call).get(), req, &out), "GetSession");
  return out;
}

sched::Site SchedulingDirectory::Site(const server::Call& call, const std::string& site_id) {
  sched::GetSiteRequest req;
  req.set_id(site_id);
  sched::Site out;
  scheduling_.Check(stub_->GetSite(scheduling_.ContextFor(call).get(), req, &out), "GetSite");
  return out;
}

void SchedulingDirectory::AddMembers(const server::Call& call, const std::string& group_id, absl::CivilDay first,
                                     absl::CivilDay last, std::vector<std::string>& out) {
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    sched::ListMembershipsRequest req;
    req.set_group_id(group_id);
    req.set_page_size(kPageSize);
    req.set_page_token(token);
    sched::ListMembershipsResponse resp;
    scheduling_.Check(stub_->ListMemberships(scheduling_.ContextFor(call).get(), req, &resp), "ListMemberships");
    for (const auto& m : resp.memberships()) {
      if (m.status() == sched::MEMBERSHIP_STATUS_WAITLISTED) continue;  // never had a seat
      absl::CivilDay start, end;
      if (!ParseDay(m.start_date(), &start) || start > last) continue;
      if (!m.end_date().empty() && ParseDay(m.end_date(), &end) && end < first) continue;
      out.push_back(m.client_id());
    }
    token = resp.next_page_token();
    if (token.empty()) return;
  }
}

std::vector<std::string> SchedulingDirectory::GroupsWhere(const server::Call& call, const std::string& program_id,
                                                          const std::string& site_id) {
  std::vector<std::string> out;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    sched::ListGroupsRequest req;
    req.set_program_id(program_id);
    req.set_site_id(site_id);
    req.set_page_size(kPageSize);
    req.set_page_token(token);
    sched::ListGroupsResponse resp;
    scheduling_.Check(stub_->ListGroups(scheduling_.ContextFor(call).get(), req, &resp), "ListGroups");
    for (const auto& g : resp.groups()) out.push_back(g.id());
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  return out;
}

Cohort SchedulingDirectory::CohortOf(const server::Call& call, const iop::outcomes::v1::GetCohortOutcomesRequest& req,
                                     absl::CivilDay first, absl::CivilDay last) {
  using R = iop::outcomes::v1::GetCohortOutcomesRequest;
  std::string site_id;
  std::vector<std::string> groups;
  if (req.scope_case() == R::kGroupId) {
    sched::GetGroupRequest get;
    get.set_id(req.group_id());
    sched::Group group;
    scheduling_.Check(stub_->GetGroup(scheduling_.ContextFor(call).get(), get, &group), "GetGroup");
    site_id = group.site_id();
    groups.push_back(group.id());
  } else if (req.scope_case() == R::kProgramId) {
    sched::GetProgramRequest get;
    get.set_id(req.program_id());
    sched::Program program;
    scheduling_.Check(stub_->GetProgram(scheduling_.ContextFor(call).get(), get, &program), "GetProgram");
    site_id = program.site_id();
    groups = GroupsWhere(call, program.id(), "");
  } else {
    site_id = req.site_id();
    groups = GroupsWhere(call, "", site_id);
  }
  Cohort cohort;
  cohort.zone = absl::UTCTimeZone();
  const sched::Site site = Site(call, site_id);  // also NOT_FOUND for a site scope
  absl::LoadTimeZone(site.time_zone(), &cohort.zone);
  for (const auto& g : groups) AddMembers(call, g, first, last, cohort.client_ids);
  std::sort(cohort.client_ids.begin(), cohort.client_ids.end());
  cohort.client_ids.erase(std::unique(cohort.client_ids.begin(), cohort.client_ids.end()), cohort.client_ids.end());
  return cohort;
}

}  // namespace iop::outcomes::api
