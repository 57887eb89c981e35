// PostgreSQL + cache storage of groups, sessions and enrollment. As in the
// directory store, every method takes the caller and scopes by its org and
// sites itself. Writes that check for double-bookings lock what they check
// (the group row, then advisory locks per facilitator, room and client id in
// a fixed order) inside the same transaction that writes, so two writers
// cannot both pass the check and nothing is half-written.
#pragma once

#include <functional>
#include <string>

#include "scheduling/store/directory_store.h"
#include "scheduling/store/scheduling_metrics.h"

namespace iop::scheduling::store {

class ScheduleStore {
 public:
  ScheduleStore(db::Pool& pool, cache::Cache& cache, SchedulingMetrics& metrics);

  // ---- groups ----
  // `group` is validated by the API; defaults that depend on the room
  // (max_size capped by capacity) are applied here.
  v1::Group CreateGroup(const auth::Caller& caller, const v1::Group& group, const WriteKey& key);
  v1::Group GetGroup(const auth::Caller& caller, const std::string& id);
  // GetGroup from this process's copy, without blocking (cache::Cache::Peek):
  // fills `out` and returns true for a group the caller may see; false means
  // "read it with GetGroup", which also gives every error.
  bool PeekGroup(const auth::Caller& caller, const std::string& id, v1::Group* out);
  Listed<v1::Group> ListGroups(const auth::Caller& caller, const v1::ListGroupsRequest& req);
  // `apply` turns the stored group into the wanted one (field mask, value
  // checks); it runs inside the transaction, after the etag check.
  using GroupChange = std::function<v1::Group(const v1::Group& current)>;
  v1::Group UpdateGroup(const auth::Caller& caller, const std::string& id, const std::string& etag,
                        const GroupChange& apply, const WriteKey& key);
  v1::Group CloseGroup(const auth::Caller& caller, const v1::CloseGroupRequest& req,
                       const WriteKey& key);

  // ---- sessions ----
  // [start, end) already validated (end after start, at most 400 days).
  Listed<v1::Session> ListSessions(const auth::Caller& caller, const v1::ListSessionsRequest& req,
                                   absl::Time start, absl::Time end);
  v1::Session GetSession(const auth::Caller& caller, const std::string& id);
  v1::Session CreateSession(const auth::Caller& caller, const v1::Session& session,
                            const WriteKey& key);
  v1::Session CancelSession(const auth::Caller& caller, const std::string& id,
                            const std::string& reason, const WriteKey& key);
  v1::Session RescheduleSession(const auth::Caller& caller, const v1::RescheduleSessionRequest& req,
                                const WriteKey& key);

  // ---- enrollment ----
  v1::Membership EnrollClient(const auth::Caller& caller, const v1::EnrollClientRequest& req,
                              const WriteKey& key);
  v1::DischargeClientResponse DischargeClient(const auth::Caller& caller,
                                              const v1::DischargeClientRequest& req,
                                              const WriteKey& key);
  Listed<v1::Membership> ListMemberships(const auth::Caller& caller,
                                         const v1::ListMembershipsRequest& req);
  v1::GetSessionRosterResponse GetSessionRoster(const auth::Caller& caller,
                                                const std::string& session_id);
  v1::GetClientIntensityResponse GetClientIntensity(const auth::Caller& caller,
                                                    const std::string& client_id,
                                                    absl::CivilDay week_start);

 private:
  void Prepare();
  void InvalidateGroup(const std::string& org, const std::string& group_id);
  void InvalidateMembers(const std::string& org, const std::string& group_id);
  void InvalidateSession(const std::string& org, const std::string& session_id,
                         const std::string& group_etag);

  db::Pool& pool_;
  cache::Cache& cache_;
  SchedulingMetrics& metrics_;
};

}  // namespace iop::scheduling::store
