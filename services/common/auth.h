// Authentication (HS256 JWT through libjwt) and authorization (roles →
// permissions, org and site scoping), DESIGN.md §3. Handlers receive a Caller
// and ask it; they never parse tokens or compare org ids by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

namespace iop::auth {

enum class Role : uint8_t { kAdmin, kClinician, kFrontDesk, kPartner, kAuditor };

// What a call needs. Each RPC names exactly one.
enum class Permission : uint8_t {
  kOrgManage,        // sites, rooms, staff, programs
  kScheduleRead,     // sites, programs, groups, sessions, rosters, memberships
  kScheduleWrite,    // groups, sessions
  kClientRead,       // client records
  kClientWrite,      // register clients
  kEnrollmentWrite,  // enroll, discharge
  kCheckIn,          // check-in / check-out at the front desk
  kAttendanceRecord, // the facilitator's attendance form and corrections
  kAttendanceRead,
  kCurriculumRead,
  kCurriculumWrite,
  kOutcomesRead,
  kOutcomesSubmit,   // submit assessments
  kOutcomesManage,   // acknowledge risk alerts, define instruments
  kAuditRead,
};

const char* RoleName(Role role);
bool ParseRole(std::string_view text, Role* out);
bool RoleAllows(Role role, Permission permission);

// The authenticated principal of one call.
struct Caller {
  std::string subject;             // `sub`
  std::string org;                 // `org`: the tenant every query is scoped to
  std::vector<Role> roles;         // known roles only
  std::vector<std::string> sites;  // empty: every site of the org

  bool Has(Permission p) const;
  bool site_limited() const { return !sites.empty(); }
  // True when the caller may see things at `site_id`.
  bool SeesSite(std::string_view site_id) const;
  std::vector<std::string> RoleNames() const;
};

// Raised by Authenticator; `code` says which status it becomes.
struct AuthError {
  enum Code { kUnauthenticated, kPermissionDenied } code;
  std::string message;
};

class Authenticator {
 public:
  using Clock = std::chrono::system_clock;
  explicit Authenticator(std::string secret) : secret_(std::move(secret)) {}
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Verifies `authorization` metadata ("Bearer <jwt>"). Throws AuthError
  // (kUnauthenticated) when missing, malformed, badly signed, not HS256,
  // expired, or without `sub`/`org`.
  // Verified tokens are remembered (bounded), so a client reusing its token
  // pays for the signature check once; expiry is still checked every call.
  Caller Verify(std::string_view authorization_header,
                Clock::time_point now = Clock::now()) const;
  // The same, without copying the caller (for the per-call hot path).
  std::shared_ptr<const Caller> VerifyShared(std::string_view authorization_header,
                                             Clock::time_point now = Clock::now()) const;

 private:
  struct Verified {
    Caller caller;
    long exp;
  };
  static constexpr size_t kMaxRemembered = 4096;
  Verified Decode(const std::string& token) const;

  std::string secret_;
  mutable std::mutex mu_;
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Looked up by the header's view: no copy of the token per call.
  mutable std::unordered_map<std::string, std::shared_ptr<const Verified>, TokenHash, std::equal_to<>>
      verified_;
};

struct TokenRequest {
  std::string subject;
  std::string org;
  std::vector<std::string> roles;
  std::vector<std::string> sites;
  std::chrono::seconds ttl{3600};
};

// Signs a token for local use (iopctl token, tests, demo seeding).
std::string MintToken(const std::string& secret, const TokenRequest& request,
                      Authenticator::Clock::time_point now = Authenticator::Clock::now());

}  // namespace iop::auth
