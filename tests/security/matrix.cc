#include "security/matrix.h"

#include <sstream>

#include "absl/time/civil_time.h"
#include "common/sql.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#ifdef IOP_SECURITY_HAS_ATTENDANCE
#include "iop/attendance/v1/attendance.grpc.pb.h"
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#endif

namespace iop::security {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kClinician: return "clinician";
    case Role::kFrontDesk: return "front_desk";
    case Role::kPartner: return "partner";
    case Role::kAuditor: return "auditor";
  }
  return "?";
}

const char* ReachName(Reach r) {
  switch (r) {
    case Reach::kNothing: return "own org only";
    case Reach::kOrg: return "org-wide resource";
    case Reach::kSite: return "site resource";
  }
  return "?";
}

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kOwn: return "own";
    case Scope::kOwnSiteLimited: return "own-site-limited";
    case Scope::kOtherOrg: return "other-org";
    case Scope::kOtherSite: return "other-site";
  }
  return "?";
}

Target TargetOf(Scope s) {
  switch (s) {
    case Scope::kOwn:
    case Scope::kOwnSiteLimited: return Target::kHome;
    case Scope::kOtherOrg: return Target::kOtherOrg;
    case Scope::kOtherSite: return Target::kOtherSite;
  }
  return Target::kHome;
}

const char* BadTokenName(BadToken b) {
  switch (b) {
    case BadToken::kMissing: return "no-token";
    case BadToken::kExpired: return "expired-token";
    case BadToken::kForged: return "forged-token";
  }
  return "?";
}

const char* CodeName(grpc::StatusCode c) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                 "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                 "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? kNames[i] : "?";
}

const char* AspectName(Aspect a) {
  switch (a) {
    case Aspect::kCode: return "status code";
    case Aspect::kAuditRecord: return "audit record count";
    case Aspect::kAuditIds: return "audit resource_ids";
    case Aspect::kAuditMethod: return "audit method name";
    case Aspect::kReplay: return "request_id replay";
  }
  return "?";
}

grpc::StatusCode Expected(const Row& row, Scope scope, Role role) {
  if (!Allows(row.roles, role)) return grpc::StatusCode::PERMISSION_DENIED;
  const bool limited = scope == Scope::kOwnSiteLimited || scope == Scope::kOtherSite;
  if (limited && row.site_limited) return *row.site_limited;
  switch (scope) {
    case Scope::kOwn:
    case Scope::kOwnSiteLimited: return row.ok;
    case Scope::kOtherOrg: return row.reach == Reach::kNothing ? row.ok : grpc::StatusCode::NOT_FOUND;
    case Scope::kOtherSite: return row.reach == Reach::kSite ? grpc::StatusCode::NOT_FOUND : row.ok;
  }
  return grpc::StatusCode::UNKNOWN;
}

google::protobuf::Timestamp UtcAt(const std::string& civil_day, int plus_days, int hour) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(civil_day, &day)) throw std::runtime_error("bad civil day " + civil_day);
  absl::CivilSecond at(day + plus_days);
  at += hour * 3600;
  return sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(at, absl::UTCTimeZone())));
}

const KnownGap* FindGap(const std::string& method, Aspect aspect, Scope scope, Role role,
                        grpc::StatusCode outcome) {
  for (const auto& g : KnownGaps()) {
    if ((g.method == "*" || g.method == method) && g.aspect == aspect && (!g.scope || *g.scope == scope) &&
        (!g.role || *g.role == role) && (!g.outcome || *g.outcome == outcome)) {
      return &g;
    }
  }
  return nullptr;
}

std::string MarkdownTable(const ServiceTable& table) {
  std::ostringstream out;
  out << "| RPC |";
  for (Role r : kRoles) out << " " << RoleName(r) << " |";
  out << " reaches | audited | notes |\n|---|";
  for (size_t i = 0; i < std::size(kRoles); ++i) out << "---|";
  out << "---|---|---|\n";
  for (const auto& row : table.rows) {
    out << "| " << row.method << " |";
    for (Role r : kRoles) out << (Allows(row.roles, r) ? " yes |" : " no |");
    out << " " << ReachName(row.reach) << " | " << (row.client_data ? "yes" : "no") << " | " << row.note << " |\n";
  }
  return out.str();
}

std::string MarkdownGaps() {
  std::ostringstream out;
  if (KnownGaps().empty()) return "None.\n";
  out << "| RPC | aspect | scope | role | outcome | expected vs actual |\n|---|---|---|---|---|---|\n";
  for (const auto& g : KnownGaps()) {
    out << "| " << g.method << " | " << AspectName(g.aspect) << " | " << (g.scope ? ScopeName(*g.scope) : "any")
        << " | " << (g.role ? RoleName(*g.role) : "any") << " | " << (g.outcome ? CodeName(*g.outcome) : "any")
        << " | " << g.what << " |\n";
  }
  return out.str();
}

namespace {
const google::protobuf::ServiceDescriptor* Service(const std::string& name) {
  const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
  if (d == nullptr) throw std::runtime_error("no descriptor for " + name);
  return d;
}
}  // namespace

std::vector<ServiceTable> AllServices(Platform& platform) {
  std::vector<ServiceTable> out;
  out.push_back({"scheduling", Service("iop.scheduling.v1.SchedulingService"),
                 platform.scheduling.Channel(), SchedulingRows()});
#ifdef IOP_SECURITY_HAS_ATTENDANCE
  out.push_back({"attendance", Service("iop.attendance.v1.AttendanceService"),
                 platform.attendance.Channel(), AttendanceRows()});
#endif
  out.push_back({"curriculum", Service("iop.curriculum.v1.CurriculumService"),
                 platform.curriculum.Channel(), CurriculumRows()});
#ifdef IOP_SECURITY_HAS_OUTCOMES
  out.push_back({"outcomes", Service("iop.outcomes.v1.OutcomesService"), platform.outcomes.Channel(),
                 OutcomesRows()});
#endif
  return out;
}

}  // namespace iop::security
