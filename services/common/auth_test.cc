#include "common/auth.h"

#include <gtest/gtest.h>

namespace iop::auth {
namespace {

const std::string kSecret(40, 's');

Caller VerifyOrDie(const std::string& token) {
  return Authenticator(kSecret).Verify("Bearer " + token);
}

AuthError::Code FailureOf(const std::string& header) {
  try {
    Authenticator(kSecret).Verify(header);
  } catch (const AuthError& e) {
    return e.code;
  }
  ADD_FAILURE() << "token was accepted: " << header;
  return AuthError::kPermissionDenied;
}

TEST(AuthTest, MintedTokenRoundTrips) {
  std::string token = MintToken(kSecret, {.subject = "u1", .org = "org-a",
                                          .roles = {"clinician", "unknown_role"},
                                          .sites = {"s1", "s2"}});
  Caller c = VerifyOrDie(token);
  EXPECT_EQ(c.subject, "u1");
  EXPECT_EQ(c.org, "org-a");
  ASSERT_EQ(c.roles.size(), 1u);  // unknown roles are dropped
  EXPECT_EQ(c.roles[0], Role::kClinician);
  EXPECT_TRUE(c.site_limited());
  EXPECT_TRUE(c.SeesSite("s2"));
  EXPECT_FALSE(c.SeesSite("s3"));
}

TEST(AuthTest, UnlimitedCallerSeesEverySite) {
  Caller c = VerifyOrDie(MintToken(kSecret, {.subject = "u", .org = "o", .roles = {"admin"}}));
  EXPECT_FALSE(c.site_limited());
  EXPECT_TRUE(c.SeesSite("anything"));
}

TEST(AuthTest, RejectsMissingMalformedForgedAndExpired) {
  EXPECT_EQ(FailureOf(""), AuthError::kUnauthenticated);
  EXPECT_EQ(FailureOf("Basic abc"), AuthError::kUnauthenticated);
  EXPECT_EQ(FailureOf("Bearer not.a.jwt"), AuthError::kUnauthenticated);
  std::string forged = MintToken(std::string(40, 'x'), {.subject = "u", .org = "o", .roles = {"admin"}});
  EXPECT_EQ(FailureOf("Bearer " + forged), AuthError::kUnauthenticated);
  auto past = Authenticator::Clock::now() - std::chrono::hours(2);
  std::string expired = MintToken(kSecret, {.subject = "u", .org = "o", .roles = {"admin"},
                                            .ttl = std::chrono::seconds(60)}, past);
  EXPECT_EQ(FailureOf("Bearer " + expired), AuthError::kUnauthenticated);
}

TEST(AuthTest, RememberedTokenStillExpires) {
  Authenticator auth(kSecret);
  auto now = Authenticator::Clock::now();
  std::string token = MintToken(kSecret, {.subject = "u", .org = "o", .roles = {"admin"},
                                          .ttl = std::chrono::seconds(60)}, now);
  EXPECT_EQ(auth.Verify("Bearer " + token, now).org, "o");
  EXPECT_EQ(auth.Verify("Bearer " + token, now).org, "o");  // from memory
  try {
    auth.Verify("Bearer " + token, now + std::chrono::minutes(2));
    ADD_FAILURE() << "expired token accepted";
  } catch (const AuthError& e) {
    EXPECT_EQ(e.code, AuthError::kUnauthenticated);
  }
  // A forged token is never remembered as valid.
  std::string forged = token;
  char& c = forged[forged.size() - 10];  // inside the signature
  c = c == 'A' ? 'B' : 'A';
  EXPECT_THROW(auth.Verify("Bearer " + forged, now), AuthError);
  EXPECT_THROW(auth.Verify("Bearer " + forged, now), AuthError);
}

TEST(AuthTest, SharedCallerOutlivesTheForgottenEntry) {
  Authenticator auth(kSecret);
  auto kept = auth.VerifyShared(
      "Bearer " + MintToken(kSecret, {.subject = "u", .org = "o", .roles = {"admin"}, .sites = {"s1"}}));
  // Enough other tokens to make the authenticator forget everything it holds.
  for (int i = 0; i < 4100; ++i) {
    auth.VerifyShared("Bearer " + MintToken(kSecret, {.subject = "u" + std::to_string(i), .org = "o",
                                                      .roles = {"admin"}}));
  }
  EXPECT_EQ(kept->org, "o");
  EXPECT_EQ(kept->subject, "u");
  EXPECT_TRUE(kept->SeesSite("s1"));
  EXPECT_FALSE(kept->SeesSite("s2"));
}

TEST(AuthTest, RejectsUnsignedToken) {
  // {"alg":"none"} . {"sub":"u","org":"o","roles":["admin"],"exp":9999999999} .
  std::string none =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
      "eyJzdWIiOiJ1Iiwib3JnIjoibyIsInJvbGVzIjpbImFkbWluIl0sImV4cCI6OTk5OTk5OTk5OX0.";
  EXPECT_EQ(FailureOf("Bearer " + none), AuthError::kUnauthenticated);
}

TEST(AuthTest, RequiresOrgAndSubject) {
  EXPECT_EQ(FailureOf("Bearer " + MintToken(kSecret, {.subject = "u", .org = "", .roles = {"admin"}})),
            AuthError::kUnauthenticated);
  EXPECT_EQ(FailureOf("Bearer " + MintToken(kSecret, {.subject = "", .org = "o", .roles = {"admin"}})),
            AuthError::kUnauthenticated);
}

TEST(AuthTest, RolePermissionMatrix) {
  using P = Permission;
  EXPECT_TRUE(RoleAllows(Role::kAdmin, P::kOrgManage));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, P::kAuditRead));
  EXPECT_FALSE(RoleAllows(Role::kClinician, P::kOrgManage));
  EXPECT_TRUE(RoleAllows(Role::kClinician, P::kScheduleWrite));
  EXPECT_TRUE(RoleAllows(Role::kClinician, P::kOutcomesRead));
  EXPECT_FALSE(RoleAllows(Role::kFrontDesk, P::kOrgManage));  // cannot create a site
  EXPECT_TRUE(RoleAllows(Role::kFrontDesk, P::kCheckIn));
  EXPECT_FALSE(RoleAllows(Role::kFrontDesk, P::kOutcomesRead));
  EXPECT_FALSE(RoleAllows(Role::kFrontDesk, P::kScheduleWrite));
  EXPECT_TRUE(RoleAllows(Role::kPartner, P::kScheduleRead));
  EXPECT_TRUE(RoleAllows(Role::kPartner, P::kOutcomesSubmit));
  EXPECT_FALSE(RoleAllows(Role::kPartner, P::kOutcomesRead));
  EXPECT_FALSE(RoleAllows(Role::kPartner, P::kClientWrite));
  EXPECT_TRUE(RoleAllows(Role::kAuditor, P::kAuditRead));
  EXPECT_FALSE(RoleAllows(Role::kAuditor, P::kScheduleRead));
}

TEST(AuthTest, CallerWithNoKnownRoleHasNoPermission) {
  Caller c = VerifyOrDie(MintToken(kSecret, {.subject = "u", .org = "o", .roles = {"root"}}));
  EXPECT_TRUE(c.roles.empty());
  EXPECT_FALSE(c.Has(Permission::kScheduleRead));
}

}  // namespace
}  // namespace iop::auth
