#include "common/auth.h"

#include <jwt.h>

#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace iop::auth {
namespace {

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

constexpr Role kAllRoles[] = {Role::kAdmin, Role::kClinician, Role::kFrontDesk, Role::kPartner,
                              Role::kAuditor};

[[noreturn]] void Unauthenticated(std::string message) {
  throw AuthError{AuthError::kUnauthenticated, std::move(message)};
}

std::vector<std::string> StringArrayClaim(jwt_t* jwt, const char* name) {
  std::vector<std::string> out;
  char* raw = jwt_get_grants_json(jwt, name);
  if (raw == nullptr) return out;
  std::string text(raw);
  free(raw);
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_string()) {
    out.push_back(parsed.get<std::string>());
  } else if (parsed.is_array()) {
    for (const auto& v : parsed) {
      if (!v.is_string()) Unauthenticated(std::string("claim \"") + name + "\" must hold strings");
      out.push_back(v.get<std::string>());
    }
  } else {
    Unauthenticated(std::string("claim \"") + name + "\" must be an array of strings");
  }
  return out;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kClinician: return "clinician";
    case Role::kFrontDesk: return "front_desk";
    case Role::kPartner: return "partner";
    case Role::kAuditor: return "auditor";
  }
  return "?";
}

bool ParseRole(std::string_view text, Role* out) {
  for (Role r : kAllRoles) {
    if (text == RoleName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

bool RoleAllows(Role role, Permission p) {
  using P = Permission;
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kClinician:
      return p != P::kOrgManage && p != P::kAuditRead;
    case Role::kFrontDesk:
      return p == P::kScheduleRead || p == P::kClientRead || p == P::kClientWrite ||
             p == P::kEnrollmentWrite || p == P::kCheckIn || p == P::kAttendanceRead;
    case Role::kPartner:
      return p == P::kScheduleRead || p == P::kClientRead || p == P::kAttendanceRead ||
             p == P::kOutcomesSubmit;
    case Role::kAuditor:
      return p == P::kAuditRead;
  }
  return false;
}

bool Caller::Has(Permission p) const {
  return std::any_of(roles.begin(), roles.end(), [p](Role r) { return RoleAllows(r, p); });
}

bool Caller::SeesSite(std::string_view site_id) const {
  return sites.empty() || std::find(sites.begin(), sites.end(), site_id) != sites.end();
}

std::vector<std::string> Caller::RoleNames() const {
  std::vector<std::string> out;
  for (Role r : roles) out.emplace_back(RoleName(r));
  return out;
}

Caller Authenticator::Verify(std::string_view header, Clock::time_point now) const {
  return *VerifyShared(header, now);
}

std::shared_ptr<const Caller> Authenticator::VerifyShared(std::string_view header,
                                                          Clock::time_point now) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty()) Unauthenticated("missing authorization metadata (expected \"Bearer <token>\")");
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) {
    Unauthenticated("authorization metadata must be \"Bearer <token>\"");
  }
  const std::string_view token = header.substr(kBearer.size());
  std::shared_ptr<const Verified> verified;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = verified_.find(token);
    if (it != verified_.end()) verified = it->second;
  }
  if (!verified) {
    std::string owned(token);
    verified = std::make_shared<const Verified>(Decode(owned));
    std::lock_guard<std::mutex> lock(mu_);
    // Crude but bounded: forget everything when full; tokens re-verify once.
    if (verified_.size() >= kMaxRemembered) verified_.clear();
    verified_.emplace(std::move(owned), verified);
  }
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (verified->exp <= now_s) Unauthenticated("token has expired");
  // Shares the remembered entry's ownership; the caller lives as long as
  // this pointer does, even if the entry is forgotten meanwhile.
  return std::shared_ptr<const Caller>(verified, &verified->caller);
}

Authenticator::Verified Authenticator::Decode(const std::string& token) const {
  jwt_t* raw = nullptr;
  // With a key given, libjwt verifies the signature while decoding.
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      raw == nullptr) {
    Unauthenticated("token is malformed or its signature does not verify");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) Unauthenticated("token must be signed with HS256");

  errno = 0;
  long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno == ENOENT) Unauthenticated("token has no exp claim");

  Caller caller;
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  const char* org = jwt_get_grant(jwt.get(), "org");
  if (sub == nullptr || *sub == '\0') Unauthenticated("token has no sub claim");
  if (org == nullptr || *org == '\0') Unauthenticated("token has no org claim");
  caller.subject = sub;
  caller.org = org;
  for (const auto& name : StringArrayClaim(jwt.get(), "roles")) {
    Role r;
    if (ParseRole(name, &r)) caller.roles.push_back(r);
  }
  caller.sites = StringArrayClaim(jwt.get(), "sites");
  return {std::move(caller), exp};
}

std::string MintToken(const std::string& secret, const TokenRequest& req,
                      Authenticator::Clock::time_point now) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr jwt(raw);
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json arrays = {{"roles", req.roles}};
  if (!req.sites.empty()) arrays["sites"] = req.sites;
  bool ok = jwt_add_grant(jwt.get(), "sub", req.subject.c_str()) == 0 &&
            jwt_add_grant(jwt.get(), "org", req.org.c_str()) == 0 &&
            jwt_add_grant_int(jwt.get(), "iat", now_s) == 0 &&
            jwt_add_grant_int(jwt.get(), "exp", now_s + req.ttl.count()) == 0 &&
            jwt_add_grants_json(jwt.get(), arrays.dump().c_str()) == 0 &&
            jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                        reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())) == 0;
  if (!ok) throw std::runtime_error("could not build the token");
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) throw std::runtime_error("could not sign the token");
  std::string out(encoded);
  free(encoded);
  return out;
}

}  // namespace iop::auth
