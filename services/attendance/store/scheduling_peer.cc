#include "attendance/store/scheduling_peer.h"

#include <cstdint>
#include <string_view>

#include "common/errors.h"
#include "common/sql.h"

namespace iop::attendance::store {
namespace {

using std::chrono::seconds;

// Rosters change with enrollment, which this service cannot observe: keep
// them only briefly. Sites, groups and programs change rarely.
constexpr auto kRosterTtl = seconds(15);
constexpr auto kObjectTtl = seconds(120);
constexpr int kListPageSize = 500;
constexpr int kMaxPages = 40;  // 20,000 rows: far beyond any one client's year
// Sessions with writes in the last roster TTL: a few per group and day.
constexpr std::size_t kMaxDecoded = 1024;

// A write context is three messages, each after its length (4 bytes, little
// endian).
void AppendPart(std::string& out, const google::protobuf::MessageLite& part) {
  const std::string bytes = part.SerializeAsString();
  const auto n = static_cast<std::uint32_t>(bytes.size());
  for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((n >> shift) & 0xff);
  out += bytes;
}

bool ReadPart(std::string_view& in, google::protobuf::MessageLite& part) {
  if (in.size() < 4) return false;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(4);
  if (in.size() < n || !part.ParseFromArray(in.data(), static_cast<int>(n))) return false;
  in.remove_prefix(n);
  return true;
}

}  // namespace

SchedulingPeer::SchedulingPeer(server::Downstream& downstream, cache::Cache& cache)
    : downstream_(downstream),
      cache_(cache),
      stub_(sched::SchedulingService::NewStub(downstream.channel())) {}

template <class Resp, class Fetch>
Resp SchedulingPeer::Cached(const server::Call& call, const char* kind, const std::string& id,
                            std::chrono::milliseconds ttl, const char* type_name, bool fresh,
                            Fetch fetch) {
  const cache::Key key(call.caller().org, kind, id);
  auto load = [&]() -> std::optional<std::string> {
    Resp resp;
    grpc::Status status = fetch(resp);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
    downstream_.Check(status, std::string("Get ") + type_name);
    return resp.SerializeAsString();
  };
  if (fresh) cache_.Invalidate({key});
  auto bytes = cache_.GetOrLoad(key, ttl, load, kind);
  Resp out;
  if (!bytes || !out.ParseFromString(*bytes)) errors::Throw(errors::NotFound(type_name, id));
  return out;
}

sched::GetSessionRosterResponse SchedulingPeer::Roster(const server::Call& call,
                                                       const std::string& session_id, bool fresh) {
  auto roster = Cached<sched::GetSessionRosterResponse>(
      call, "sched_roster", session_id, kRosterTtl, "iop.scheduling.v1.Session", fresh,
      [&](sched::GetSessionRosterResponse& out) {
        sched::GetSessionRosterRequest req;
        req.set_session_id(session_id);
        return stub_->GetSessionRoster(downstream_.ContextFor(call).get(), req, &out);
      });
  if (!call.caller().SeesSite(roster.session().site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Session", session_id));
  }
  return roster;
}

std::shared_ptr<const SchedulingPeer::WriteContext> SchedulingPeer::ForWrite(
    const server::Call& call, const std::string& session_id, bool fresh) {
  const cache::Key key(call.caller().org, "sched_write", session_id);
  if (fresh) cache_.Invalidate({key});
  auto load = [&]() -> std::optional<std::string> {
    auto roster = Roster(call, session_id, fresh);
    const auto& s = roster.session();
    const std::string program_id =
        s.program_id().empty() ? Group(call, s.group_id()).program_id() : s.program_id();
    std::string out;
    AppendPart(out, roster);
    AppendPart(out, Site(call, s.site_id()));
    AppendPart(out, Program(call, program_id));
    return out;
  };
  // Check-ins to one session come in bursts: after the first, this
  // process's own copy answers without a Redis round trip. It may outlive
  // the Redis entry by the near copy's ttl (2 s), and a roster missing a
  // client is read fresh anyway (RequireOnRoster).
  std::optional<std::string> bytes;
  if (!fresh) bytes = cache_.Peek(key, "sched_write");
  if (!bytes) bytes = cache_.GetOrLoad(key, kRosterTtl, load, "sched_write", cache::KeepNear::kYes);
  auto c = bytes ? Decode(call.caller().org + '\n' + session_id, *bytes) : nullptr;
  // One entry serves every caller of the org: site limits apply again.
  const auto& caller = call.caller();
  if (!c || !caller.SeesSite(c->roster.session().site_id()) || !caller.SeesSite(c->site.id()) ||
      !caller.SeesSite(c->program.site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Session", session_id));
  }
  return c;
}

std::shared_ptr<const SchedulingPeer::WriteContext> SchedulingPeer::Decode(const std::string& memo_key,
                                                                           const std::string& bytes) {
  {
    std::lock_guard lock(decoded_mu_);
    auto it = decoded_.find(memo_key);
    if (it != decoded_.end() && it->second.bytes == bytes) return it->second.context;
  }
  auto c = std::make_shared<WriteContext>();
  std::string_view in(bytes);
  if (!ReadPart(in, c->roster) || !ReadPart(in, c->site) || !ReadPart(in, c->program)) return nullptr;
  std::lock_guard lock(decoded_mu_);
  if (decoded_.size() >= kMaxDecoded) decoded_.clear();
  decoded_[memo_key] = Decoded{bytes, c};
  return c;
}

sched::Site SchedulingPeer::Site(const server::Call& call, const std::string& site_id) {
  auto site = Cached<sched::Site>(call, "sched_site", site_id, kObjectTtl, "iop.scheduling.v1.Site",
                                  false, [&](sched::Site& out) {
                                    sched::GetSiteRequest req;
                                    req.set_id(site_id);
                                    return stub_->GetSite(downstream_.ContextFor(call).get(), req, &out);
                                  });
  if (!call.caller().SeesSite(site.id())) errors::Throw(errors::NotFound("iop.scheduling.v1.Site", site_id));
  return site;
}

sched::Program SchedulingPeer::Program(const server::Call& call, const std::string& program_id) {
  auto program = Cached<sched::Program>(
      call, "sched_program", program_id, kObjectTtl, "iop.scheduling.v1.Program", false,
      [&](sched::Program& out) {
        sched::GetProgramRequest req;
        req.set_id(program_id);
        return stub_->GetProgram(downstream_.ContextFor(call).get(), req, &out);
      });
  if (!call.caller().SeesSite(program.site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Program", program_id));
  }
  return program;
}

sched::Group SchedulingPeer::Group(const server::Call& call, const std::string& group_id) {
  auto group = Cached<sched::Group>(call, "sched_group", group_id, kObjectTtl,
                                    "iop.scheduling.v1.Group", false, [&](sched::Group& out) {
                                      sched::GetGroupRequest req;
                                      req.set_id(group_id);
                                      return stub_->GetGroup(downstream_.ContextFor(call).get(), req, &out);
                                    });
  if (!call.caller().SeesSite(group.site_id())) {
    errors::Throw(errors::NotFound("iop.scheduling.v1.Group", group_id));
  }
  return group;
}

sched::Client SchedulingPeer::Client(const server::Call& call, const std::string& client_id) {
  // Not cached: scheduling applies its own client visibility rules per caller.
  sched::GetClientRequest req;
  req.set_id(client_id);
  sched::Client out;
  grpc::Status status = stub_->GetClient(downstream_.ContextFor(call).get(), req, &out);
  downstream_.Check(status, "GetClient");
  return out;
}

std::vector<sched::Session> SchedulingPeer::Sessions(const server::Call& call,
                                                     const std::string& group_id,
                                                     const std::string& client_id, absl::Time from,
                                                     absl::Time to) {
  std::vector<sched::Session> out;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    sched::ListSessionsRequest req;
    req.set_page_size(kListPageSize);
    req.set_page_token(token);
    req.set_group_id(group_id);
    req.set_client_id(client_id);
    *req.mutable_start_time() = sql::TimestampFromMicros(absl::ToUnixMicros(from));
    *req.mutable_end_time() = sql::TimestampFromMicros(absl::ToUnixMicros(to));
    sched::ListSessionsResponse resp;
    downstream_.Check(stub_->ListSessions(downstream_.ContextFor(call).get(), req, &resp), "ListSessions");
    for (auto& s : *resp.mutable_sessions()) out.push_back(std::move(s));
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  return out;
}

std::vector<sched::Membership> SchedulingPeer::Memberships(const server::Call& call,
                                                           const std::string& group_id,
                                                           const std::string& client_id) {
  std::vector<sched::Membership> out;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    sched::ListMembershipsRequest req;
    req.set_page_size(kListPageSize);
    req.set_page_token(token);
    req.set_group_id(group_id);
    req.set_client_id(client_id);
    sched::ListMembershipsResponse resp;
    downstream_.Check(stub_->ListMemberships(downstream_.ContextFor(call).get(), req, &resp),
                      "ListMemberships");
    for (auto& m : *resp.mutable_memberships()) out.push_back(std::move(m));
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  return out;
}

}  // namespace iop::attendance::store
