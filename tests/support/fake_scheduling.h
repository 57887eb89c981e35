// An in-memory scheduling service for the integration tests of the services
// that call it (attendance, curriculum, outcomes): the same gRPC contract,
// data the test puts in directly, tokens verified like the real service (org
// scoping, site limits), and two ways to fail: answering UNAVAILABLE
// (SetDown) or leaving the network (Stop). Tests that need the real
// scheduling service run it in-process instead.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/sql.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "support/service_harness.h"

namespace iop::testing {

namespace sched = ::iop::scheduling::v1;

class FakeScheduling final : public sched::SchedulingService::CallbackService {
 public:
  explicit FakeScheduling(const std::string& secret = kTestSecret) : auth_(secret) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeScheduling() override { Stop(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Takes the service off the network: calls fail as with a dead peer.
  void Stop() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    if (server_) server_->Wait();
    server_.reset();
  }

  // ---- data ---------------------------------------------------------------
  void Put(const std::string& org, sched::Site s) { std::lock_guard l(mu_); s.set_org_id(org); sites_[{org, s.id()}] = s; }
  void Put(const std::string& org, sched::Program p) { std::lock_guard l(mu_); p.set_org_id(org); programs_[{org, p.id()}] = p; }
  void Put(const std::string& org, sched::Group g) { std::lock_guard l(mu_); g.set_org_id(org); groups_[{org, g.id()}] = g; }
  void Put(const std::string& org, sched::Client c) { std::lock_guard l(mu_); c.set_org_id(org); clients_[{org, c.id()}] = c; }
  void Put(const std::string& org, sched::Session s) { std::lock_guard l(mu_); s.set_org_id(org); sessions_[{org, s.id()}] = s; }
  void Put(const std::string& org, sched::Membership m) { std::lock_guard l(mu_); m.set_org_id(org); memberships_[org].push_back(m); }
  void Cancel(const std::string& org, const std::string& session_id) {
    std::lock_guard l(mu_);
    sessions_[{org, session_id}].set_status(sched::SESSION_STATUS_CANCELLED);
  }
  int roster_calls() const { std::lock_guard l(mu_); return roster_calls_; }
  // While down, every call answers UNAVAILABLE, as from an overloaded peer.
  void SetDown(bool down) { down_ = down; }

  // ---- RPCs ---------------------------------------------------------------
  grpc::ServerUnaryReactor* GetSite(grpc::CallbackServerContext* c, const sched::GetSiteRequest* r, sched::Site* out) override {
    return Answer(c, [&](const auth::Caller& who) { return Find(sites_, who, r->id(), out, [](auto& s) { return s.id(); }); });
  }
  grpc::ServerUnaryReactor* GetProgram(grpc::CallbackServerContext* c, const sched::GetProgramRequest* r, sched::Program* out) override {
    return Answer(c, [&](const auth::Caller& who) { return Find(programs_, who, r->id(), out, [](auto& p) { return p.site_id(); }); });
  }
  grpc::ServerUnaryReactor* GetGroup(grpc::CallbackServerContext* c, const sched::GetGroupRequest* r, sched::Group* out) override {
    return Answer(c, [&](const auth::Caller& who) { return Find(groups_, who, r->id(), out, [](auto& g) { return g.site_id(); }); });
  }
  grpc::ServerUnaryReactor* GetClient(grpc::CallbackServerContext* c, const sched::GetClientRequest* r, sched::Client* out) override {
    return Answer(c, [&](const auth::Caller& who) { return Find(clients_, who, r->id(), out, [](auto& x) { return x.site_id(); }); });
  }
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* c, const sched::GetSessionRequest* r, sched::Session* out) override {
    return Answer(c, [&](const auth::Caller& who) { return Find(sessions_, who, r->id(), out, [](auto& s) { return s.site_id(); }); });
  }
  grpc::ServerUnaryReactor* GetSessionRoster(grpc::CallbackServerContext* c, const sched::GetSessionRosterRequest* r,
                                             sched::GetSessionRosterResponse* out) override {
    return Answer(c, [&](const auth::Caller& who) {
      ++roster_calls_;
      grpc::Status s = Find(sessions_, who, r->session_id(), out->mutable_session(), [](auto& x) { return x.site_id(); });
      if (!s.ok()) return s;
      absl::CivilDay day;
      absl::ParseCivilTime(out->session().local_date(), &day);
      for (const auto& m : memberships_[who.org]) {
        if (m.group_id() == out->session().group_id() && ActiveOn(m, day)) {
          auto* e = out->add_entries();
          e->set_client_id(m.client_id());
          e->set_membership_id(m.id());
          e->set_display_name(clients_[{who.org, m.client_id()}].display_name());
        }
      }
      std::sort(out->mutable_entries()->begin(), out->mutable_entries()->end(),
                [](const auto& a, const auto& b) { return a.display_name() < b.display_name(); });
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* c, const sched::ListSessionsRequest* r,
                                         sched::ListSessionsResponse* out) override {
    return Answer(c, [&](const auth::Caller& who) {
      int64_t from = sql::MicrosFromTimestamp(r->start_time()), to = sql::MicrosFromTimestamp(r->end_time());
      for (const auto& [key, s] : sessions_) {
        if (key.first != who.org || !who.SeesSite(s.site_id())) continue;
        int64_t start = sql::MicrosFromTimestamp(s.start_time());
        if (start < from || start >= to) continue;
        if (!r->group_id().empty() && s.group_id() != r->group_id()) continue;
        if (!r->client_id().empty() && !InGroup(who.org, r->client_id(), s.group_id())) continue;
        *out->add_sessions() = s;
      }
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* ListGroups(grpc::CallbackServerContext* c, const sched::ListGroupsRequest* r,
                                       sched::ListGroupsResponse* out) override {
    return Answer(c, [&](const auth::Caller& who) {
      sched::Site site;
      if (!r->site_id().empty()) {
        if (auto s = Find(sites_, who, r->site_id(), &site, [](auto& x) { return x.id(); }); !s.ok()) return s;
      }
      for (const auto& [key, g] : groups_) {
        if (key.first != who.org || !who.SeesSite(g.site_id())) continue;
        if (!r->program_id().empty() && g.program_id() != r->program_id()) continue;
        if (!r->site_id().empty() && g.site_id() != r->site_id()) continue;
        *out->add_groups() = g;
      }
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* ListMemberships(grpc::CallbackServerContext* c, const sched::ListMembershipsRequest* r,
                                            sched::ListMembershipsResponse* out) override {
    return Answer(c, [&](const auth::Caller& who) {
      sched::Group group;
      if (!r->group_id().empty()) {
        if (auto s = Find(groups_, who, r->group_id(), &group, [](auto& g) { return g.site_id(); }); !s.ok()) return s;
      }
      for (const auto& m : memberships_[who.org]) {
        if ((r->group_id().empty() || m.group_id() == r->group_id()) &&
            (r->client_id().empty() || m.client_id() == r->client_id())) {
          *out->add_memberships() = m;
        }
      }
      return grpc::Status::OK;
    });
  }

 private:
  using Key = std::pair<std::string, std::string>;

  template <class F>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* c, F work) {
    auto* reactor = c->DefaultReactor();
    grpc::Status status;
    if (down_) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "scheduling is down for the test"));
      return reactor;
    }
    try {
      auto it = c->client_metadata().find("authorization");
      std::string header = it == c->client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
      auth::Caller who = auth_.Verify(header);
      std::lock_guard l(mu_);
      status = work(who);
    } catch (const auth::AuthError& e) {
      status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, e.message);
    }
    reactor->Finish(status);
    return reactor;
  }

  template <class T, class SiteOf>
  grpc::Status Find(std::map<Key, T>& table, const auth::Caller& who, const std::string& id, T* out, SiteOf site_of) {
    auto it = table.find({who.org, id});
    if (it == table.end() || !who.SeesSite(site_of(it->second))) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "not found: " + id);
    }
    *out = it->second;
    return grpc::Status::OK;
  }

  static bool ActiveOn(const sched::Membership& m, absl::CivilDay day) {
    if (m.status() == sched::MEMBERSHIP_STATUS_WAITLISTED) return false;
    absl::CivilDay start, end;
    absl::ParseCivilTime(m.start_date(), &start);
    if (day < start) return false;
    return m.end_date().empty() || (absl::ParseCivilTime(m.end_date(), &end) && day <= end);
  }

  bool InGroup(const std::string& org, const std::string& client, const std::string& group) {
    for (const auto& m : memberships_[org]) {
      if (m.client_id() == client && m.group_id() == group) return true;
    }
    return false;
  }

  auth::Authenticator auth_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  mutable std::mutex mu_;
  int roster_calls_ = 0;
  std::atomic<bool> down_{false};
  std::map<Key, sched::Site> sites_;
  std::map<Key, sched::Program> programs_;
  std::map<Key, sched::Group> groups_;
  std::map<Key, sched::Client> clients_;
  std::map<Key, sched::Session> sessions_;
  std::map<std::string, std::vector<sched::Membership>> memberships_;
};

// Directory objects with the fields most tests need.
inline sched::Site SiteWithId(const std::string& id, const std::string& time_zone = "America/New_York") {
  sched::Site s;
  s.set_id(id);
  s.set_time_zone(time_zone);
  return s;
}
inline sched::Program ProgramAt(const std::string& id, const std::string& site_id) {
  sched::Program p;
  p.set_id(id);
  p.set_site_id(site_id);
  return p;
}
inline sched::Group GroupOf(const std::string& id, const std::string& program_id, const std::string& site_id) {
  sched::Group g;
  g.set_id(id);
  g.set_program_id(program_id);
  g.set_site_id(site_id);
  return g;
}
inline sched::Client ClientAt(const std::string& id, const std::string& site_id) {
  sched::Client c;
  c.set_id(id);
  c.set_site_id(site_id);
  return c;
}
inline sched::Membership MemberOf(const std::string& group_id, const std::string& client_id,
                                  const std::string& start_date, const std::string& end_date = "",
                                  sched::MembershipStatus status = sched::MEMBERSHIP_STATUS_ACTIVE) {
  sched::Membership m;
  m.set_group_id(group_id);
  m.set_client_id(client_id);
  m.set_start_date(start_date);
  m.set_end_date(end_date);
  m.set_status(status);
  return m;
}

}  // namespace iop::testing
