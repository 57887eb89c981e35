#include "common/errors.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace iop::errors {
namespace {

google::rpc::Status Rich(const grpc::Status& s) {
  google::rpc::Status rich;
  EXPECT_TRUE(rich.ParseFromString(s.error_details()));
  return rich;
}

TEST(ErrorsTest, InvalidArgumentNamesTheField) {
  grpc::Status s = InvalidArgument("site.time_zone", "\"Mars/Base\" is not an IANA time zone");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "site.time_zone: \"Mars/Base\" is not an IANA time zone");
  google::rpc::BadRequest br;
  ASSERT_TRUE(Rich(s).details(0).UnpackTo(&br));
  EXPECT_EQ(br.field_violations(0).field(), "site.time_zone");
}

TEST(ErrorsTest, ValidatorReportsEveryField) {
  Validator v;
  v.Require(true, "a", "fine");
  v.Require(false, "b", "missing");
  v.Add("c", "too long");
  try {
    v.ThrowIfInvalid();
    FAIL();
  } catch (const RpcError& e) {
    EXPECT_EQ(e.status().error_message(), "b: missing; c: too long");
    google::rpc::BadRequest br;
    ASSERT_TRUE(Rich(e.status()).details(0).UnpackTo(&br));
    EXPECT_EQ(br.field_violations_size(), 2);
  }
}

TEST(ErrorsTest, FailedPreconditionListsViolations) {
  grpc::Status s = FailedPrecondition(
      "schedule conflict", {{"ROOM_CONFLICT", "sessions/1", "room r1 is booked by session 1"},
                            {"FACILITATOR_CONFLICT", "sessions/2", "facilitator f1 leads session 2"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("session 1"), std::string::npos);
  EXPECT_NE(s.error_message().find("session 2"), std::string::npos);
  google::rpc::PreconditionFailure pf;
  ASSERT_TRUE(Rich(s).details(0).UnpackTo(&pf));
  ASSERT_EQ(pf.violations_size(), 2);
  EXPECT_EQ(pf.violations(1).subject(), "sessions/2");
}

TEST(ErrorsTest, NotFoundSaysNothingAboutOwnership) {
  grpc::Status s = NotFound("iop.scheduling.v1.Site", "abc");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "iop.scheduling.v1.Site \"abc\" not found");
}

TEST(ErrorsTest, CodeSpellings) {
  EXPECT_STREQ(CodeLabel(grpc::StatusCode::NOT_FOUND), "NotFound");
  EXPECT_STREQ(CodeLabel(grpc::StatusCode::INVALID_ARGUMENT), "InvalidArgument");
  EXPECT_STREQ(CodeLabel(grpc::StatusCode::CANCELLED), "Canceled");
  EXPECT_STREQ(CodeName(grpc::StatusCode::PERMISSION_DENIED), "PERMISSION_DENIED");
}

}  // namespace
}  // namespace iop::errors
