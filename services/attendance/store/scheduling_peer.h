// What attendance reads from the scheduling service: sessions with their
// rosters, sites (time zones), groups, programs, clients, memberships.
// Every call forwards the caller's credentials with a deadline
// (server::Downstream) and answers UNAVAILABLE when scheduling cannot be
// reached. Single objects are cached briefly in the shared cache, keyed by
// org; site limits are checked again on every use, because one cached entry
// serves every caller of the org.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "common/cache.h"
#include "common/call.h"
#include "common/downstream.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"

namespace iop::attendance::store {

namespace sched = ::iop::scheduling::v1;

class SchedulingPeer {
 public:
  SchedulingPeer(server::Downstream& downstream, cache::Cache& cache);

  // The session and its roster. NOT_FOUND (session_id) when missing, of
  // another org, or at a site the caller does not see. `fresh` skips the
  // cache (used to re-check a roster that seems to lack a client).
  sched::GetSessionRosterResponse Roster(const server::Call& call, const std::string& session_id,
                                         bool fresh = false);
  // What a write needs of its session, cached as one entry (one Redis read
  // per write instead of three) for as long as a roster: the session and
  // roster, its site (time zone) and its program (rules). `fresh` as above.
  // Shared and immutable: the writes of one session reuse one decoded copy
  // while the cached bytes stay the same.
  struct WriteContext {
    sched::GetSessionRosterResponse roster;
    sched::Site site;
    sched::Program program;
  };
  std::shared_ptr<const WriteContext> ForWrite(const server::Call& call, const std::string& session_id,
                                               bool fresh = false);

  sched::Site Site(const server::Call& call, const std::string& site_id);
  sched::Program Program(const server::Call& call, const std::string& program_id);
  sched::Group Group(const server::Call& call, const std::string& group_id);
  sched::Client Client(const server::Call& call, const std::string& client_id);

  // Every session (cancelled ones included) starting in [from, to).
  std::vector<sched::Session> Sessions(const server::Call& call, const std::string& group_id,
                                       const std::string& client_id, absl::Time from, absl::Time to);
  // Every membership of a group or of a client.
  std::vector<sched::Membership> Memberships(const server::Call& call, const std::string& group_id,
                                             const std::string& client_id);

 private:
  template <class Resp, class Fetch>
  Resp Cached(const server::Call& call, const char* kind, const std::string& id,
              std::chrono::milliseconds ttl, const char* type_name, bool fresh, Fetch fetch);

  // The decoded write context for these cached bytes: the one decoded
  // before when the bytes are the same, else a new one (nullptr when the
  // bytes do not decode).
  std::shared_ptr<const WriteContext> Decode(const std::string& memo_key, const std::string& bytes);

  server::Downstream& downstream_;
  cache::Cache& cache_;
  std::unique_ptr<sched::SchedulingService::Stub> stub_;

  // Decoding the whole roster again for each client's write cost about a
  // sixth of the service's CPU per check-in (docs/benchmarks.md). Kept
  // with the bytes they came from, so a changed entry is decoded anew;
  // bounded, emptied when full.
  struct Decoded {
    std::string bytes;
    std::shared_ptr<const WriteContext> context;
  };
  std::mutex decoded_mu_;
  std::unordered_map<std::string, Decoded> decoded_;
};

}  // namespace iop::attendance::store
