// A stand-in scheduling service for the outcomes integration tests: clients,
// sites, programs, groups, sessions and memberships held in memory per org,
// answering through the real gRPC contract with the real token verifier.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/auth.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"

namespace iop::outcomes::testing {

namespace sched = ::iop::scheduling::v1;

class FakeScheduling final : public sched::SchedulingService::Service {
 public:
  explicit FakeScheduling(const std::string& secret) : auth_(secret) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeScheduling() override { server_->Shutdown(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void SetDown(bool down) { down_ = down; }

  void AddSite(const std::string& org, const std::string& id) {
    std::lock_guard lock(mu_);
    sched::Site s;
    s.set_id(id);
    s.set_org_id(org);
    s.set_time_zone("America/New_York");
    sites_[id] = s;
  }
  void AddClient(const std::string& org, const std::string& id, const std::string& site_id) {
    std::lock_guard lock(mu_);
    sched::Client c;
    c.set_id(id);
    c.set_org_id(org);
    c.set_site_id(site_id);
    clients_[id] = c;
  }
  void AddProgram(const std::string& org, const std::string& id, const std::string& site_id) {
    std::lock_guard lock(mu_);
    sched::Program p;
    p.set_id(id);
    p.set_org_id(org);
    p.set_site_id(site_id);
    programs_[id] = p;
  }
  void AddGroup(const std::string& org, const std::string& id, const std::string& program_id,
                const std::string& site_id) {
    std::lock_guard lock(mu_);
    sched::Group g;
    g.set_id(id);
    g.set_org_id(org);
    g.set_program_id(program_id);
    g.set_site_id(site_id);
    groups_[id] = g;
  }
  void Enroll(const std::string& group_id, const std::string& client_id, const std::string& start,
              const std::string& end = "", sched::MembershipStatus status = sched::MEMBERSHIP_STATUS_ACTIVE) {
    std::lock_guard lock(mu_);
    sched::Membership m;
    m.set_group_id(group_id);
    m.set_client_id(client_id);
    m.set_start_date(start);
    m.set_end_date(end);
    m.set_status(status);
    memberships_.push_back(m);
  }

  grpc::Status GetClient(grpc::ServerContext* ctx, const sched::GetClientRequest* req, sched::Client* out) override {
    return Lookup(ctx, clients_, req->id(), out, [](const auth::Caller& c, const sched::Client& v) {
      return c.SeesSite(v.site_id());
    });
  }
  grpc::Status GetSite(grpc::ServerContext* ctx, const sched::GetSiteRequest* req, sched::Site* out) override {
    return Lookup(ctx, sites_, req->id(), out, [](const auth::Caller& c, const sched::Site& v) { return c.SeesSite(v.id()); });
  }
  grpc::Status GetProgram(grpc::ServerContext* ctx, const sched::GetProgramRequest* req, sched::Program* out) override {
    return Lookup(ctx, programs_, req->id(), out, [](const auth::Caller&, const sched::Program&) { return true; });
  }
  grpc::Status GetGroup(grpc::ServerContext* ctx, const sched::GetGroupRequest* req, sched::Group* out) override {
    return Lookup(ctx, groups_, req->id(), out, [](const auth::Caller&, const sched::Group&) { return true; });
  }
  grpc::Status GetSession(grpc::ServerContext* ctx, const sched::GetSessionRequest* req, sched::Session* out) override {
    return Lookup(ctx, sessions_, req->id(), out, [](const auth::Caller&, const sched::Session&) { return true; });
  }
  grpc::Status ListGroups(grpc::ServerContext* ctx, const sched::ListGroupsRequest* req,
                          sched::ListGroupsResponse* out) override {
    auth::Caller caller;
    if (auto s = Authorize(ctx, &caller); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (!req->site_id().empty() && (!sites_.count(req->site_id()) || sites_[req->site_id()].org_id() != caller.org)) {
      return {grpc::StatusCode::NOT_FOUND, "site_id"};
    }
    for (const auto& [id, g] : groups_) {
      if (g.org_id() != caller.org) continue;
      if (!req->program_id().empty() && g.program_id() != req->program_id()) continue;
      if (!req->site_id().empty() && g.site_id() != req->site_id()) continue;
      *out->add_groups() = g;
    }
    return grpc::Status::OK;
  }
  grpc::Status ListMemberships(grpc::ServerContext* ctx, const sched::ListMembershipsRequest* req,
                               sched::ListMembershipsResponse* out) override {
    auth::Caller caller;
    if (auto s = Authorize(ctx, &caller); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto g = groups_.find(req->group_id());
    if (g == groups_.end() || g->second.org_id() != caller.org) return {grpc::StatusCode::NOT_FOUND, "group_id"};
    for (const auto& m : memberships_) {
      if (m.group_id() == req->group_id()) *out->add_memberships() = m;
    }
    return grpc::Status::OK;
  }

 private:
  grpc::Status Authorize(grpc::ServerContext* ctx, auth::Caller* caller) {
    if (down_) return {grpc::StatusCode::UNAVAILABLE, "down for the test"};
    auto it = ctx->client_metadata().find("authorization");
    if (it == ctx->client_metadata().end()) return {grpc::StatusCode::UNAUTHENTICATED, "no token"};
    try {
      *caller = auth_.Verify(std::string(it->second.data(), it->second.size()));
    } catch (const auth::AuthError& e) {
      return {grpc::StatusCode::UNAUTHENTICATED, e.message};
    }
    return grpc::Status::OK;
  }

  template <class T, class Visible>
  grpc::Status Lookup(grpc::ServerContext* ctx, std::map<std::string, T>& table, const std::string& id, T* out,
                      Visible visible) {
    auth::Caller caller;
    if (auto s = Authorize(ctx, &caller); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto it = table.find(id);
    if (it == table.end() || it->second.org_id() != caller.org || !visible(caller, it->second)) {
      return {grpc::StatusCode::NOT_FOUND, "not found: " + id};
    }
    *out = it->second;
    return grpc::Status::OK;
  }

  auth::Authenticator auth_;
  std::mutex mu_;
  std::atomic<bool> down_{false};
  std::map<std::string, sched::Site> sites_;
  std::map<std::string, sched::Client> clients_;
  std::map<std::string, sched::Program> programs_;
  std::map<std::string, sched::Group> groups_;
  std::map<std::string, sched::Session> sessions_;
  std::vector<sched::Membership> memberships_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace iop::outcomes::testing
