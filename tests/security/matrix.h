// The authorization matrix as data: one row per RPC of every service (who may
// call it, what it reaches, whether it touches client data, how to build a
// valid request against the seeded world), and the rules that turn a row into
// the expected gRPC code of every (scope, caller) cell. The same data drives
// the drills and the tables of docs/security.md.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "security/world.h"

namespace iop::security {

enum class Role { kAdmin, kClinician, kFrontDesk, kPartner, kAuditor };
inline constexpr Role kRoles[] = {Role::kAdmin, Role::kClinician, Role::kFrontDesk, Role::kPartner,
                                  Role::kAuditor};
const char* RoleName(Role r);

// Bit sets of roles, for the rows.
inline constexpr unsigned kAdmin = 1u << 0, kClinician = 1u << 1, kFrontDesk = 1u << 2, kPartner = 1u << 3,
                          kAuditor = 1u << 4;
inline bool Allows(unsigned roles, Role r) { return (roles >> static_cast<int>(r)) & 1u; }

// What the request names.
enum class Reach {
  kNothing,  // only the caller's org (creates, org-wide lists): no other org's id is named
  kOrg,      // an org-wide resource (lesson, track, site itself is kSite)
  kSite,     // something that lives at a site (site, room, client, group, session, records)
};
const char* ReachName(Reach r);

// Who calls, and at what.
enum class Scope {
  kOwn,             // unlimited caller, its own org's resources at site A
  kOwnSiteLimited,  // caller limited to site A, resources at site A
  kOtherOrg,        // unlimited caller of org A, org B's resources
  kOtherSite,       // caller limited to site A, org A's resources at site B
};
inline constexpr Scope kScopes[] = {Scope::kOwn, Scope::kOwnSiteLimited, Scope::kOtherOrg, Scope::kOtherSite};
const char* ScopeName(Scope s);
Target TargetOf(Scope s);

// Credentials that never get past authentication.
enum class BadToken { kMissing, kExpired, kForged };
inline constexpr BadToken kBadTokens[] = {BadToken::kMissing, BadToken::kExpired, BadToken::kForged};
const char* BadTokenName(BadToken b);

// What a request factory gets: the place to aim at, a request_id that is the
// same for every caller aiming there (so the first allowed caller does the
// write and the others replay it), and the platform for reads it needs
// (current etags).
struct Build {
  const Place& at;
  std::string request_id;
  Platform& platform;
};
using Factory = std::function<std::unique_ptr<google::protobuf::Message>(const Build&)>;

struct Row {
  std::string method;  // bare RPC name
  unsigned roles;      // who may call it (the contract's "Callable by")
  Reach reach;
  bool client_data;    // must leave exactly one audit record per call
  bool read_only;      // safe to call again as the owner to warm the cache
  Factory request;
  // The id the audit record must name, when the call names one.
  std::function<std::string(const Place&)> audited_id = nullptr;
  // Lists name the listed records only when something was found.
  bool id_when_not_found = true;
  // What a valid, allowed call on visible resources yields.
  grpc::StatusCode ok = grpc::StatusCode::OK;
  // What allowed roles get with a site-limited token, when that differs.
  std::optional<grpc::StatusCode> site_limited = std::nullopt;
  std::string note = "";  // shown in docs/security.md
  // Set for streaming RPCs: opens the call and reports how it started.
  std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext&, const google::protobuf::Message&)> invoke =
      nullptr;
};

struct ServiceTable {
  std::string short_name;  // "scheduling"
  const google::protobuf::ServiceDescriptor* descriptor;
  std::shared_ptr<grpc::Channel> channel;
  std::vector<Row> rows;
};

std::vector<ServiceTable> AllServices(Platform& platform);

// The code a cell must answer, by the rules of DESIGN §3.
grpc::StatusCode Expected(const Row& row, Scope scope, Role role);

// Documented deviations of the services from the rules, kept visible: each
// names the RPC ("*" for every RPC), the aspect, the cell(s) and what happens.
enum class Aspect { kCode, kAuditRecord, kAuditIds, kAuditMethod, kReplay };
const char* AspectName(Aspect a);
const char* CodeName(grpc::StatusCode c);
struct KnownGap {
  std::string method;           // bare RPC name or "*"
  Aspect aspect;
  std::optional<Scope> scope;   // nullopt: any
  std::optional<Role> role;     // nullopt: any
  std::optional<grpc::StatusCode> outcome;  // the cell's actual code; nullopt: any
  std::string what;             // expected vs actual, for the report
};
const std::vector<KnownGap>& KnownGaps();
const KnownGap* FindGap(const std::string& method, Aspect aspect, Scope scope, Role role,
                        grpc::StatusCode outcome);

// Markdown of one service's rows (docs/security.md keeps the same text
// between `<!-- matrix:<service>:begin -->` and `<!-- matrix:<service>:end -->`).
std::string MarkdownTable(const ServiceTable& table);

// Markdown list of KnownGaps() (docs/security.md keeps it between
// `<!-- gaps:begin -->` and `<!-- gaps:end -->`).
std::string MarkdownGaps();

// Row factories of each service (one file each).
std::vector<Row> SchedulingRows();
std::vector<Row> CurriculumRows();
std::vector<Row> AttendanceRows();
std::vector<Row> OutcomesRows();

// Helpers for factories: an instant `plus_days` after a civil day, at
// hour:00 UTC, and the current etag of a resource read as its org's admin.
google::protobuf::Timestamp UtcAt(const std::string& civil_day, int plus_days, int hour);
// Helper for factories: a fresh message of type M as the base pointer.
template <class M, class Fill>
Factory Make(Fill fill) {
  return [fill](const Build& b) -> std::unique_ptr<google::protobuf::Message> {
    auto m = std::make_unique<M>();
    fill(*m, b);
    return m;
  };
}

}  // namespace iop::security
