#include "common/paging.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace iop::paging {
namespace {

grpc::StatusCode CodeOf(int32_t size, const std::string& token, const std::string& filters) {
  try {
    Parse(size, token, filters);
  } catch (const errors::RpcError& e) {
    return e.status().error_code();
  }
  return grpc::StatusCode::OK;
}

TEST(PagingTest, DefaultsAndCap) {
  EXPECT_EQ(Parse(0, "", "").size, kDefaultPageSize);
  EXPECT_EQ(Parse(7, "", "").size, 7);
  EXPECT_EQ(Parse(100000, "", "").size, kMaxPageSize);
  EXPECT_EQ(Parse(0, "", "").after, 0);
}

TEST(PagingTest, TokenRoundTrips) {
  std::string token = NextToken(42, "site=s1");
  Page p = Parse(10, token, "site=s1");
  EXPECT_EQ(p.after, 42);
  EXPECT_EQ(p.size, 10);
}

TEST(PagingTest, RejectsNegativeSizeGarbageAndOtherFilters) {
  EXPECT_EQ(CodeOf(-1, "", ""), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CodeOf(10, "garbage!", ""), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CodeOf(10, NextToken(5, "site=a"), "site=b"), grpc::StatusCode::INVALID_ARGUMENT);
  try {
    Parse(10, NextToken(5, "site=a"), "site=b");
  } catch (const errors::RpcError& e) {
    EXPECT_NE(e.status().error_message().find("page_token"), std::string::npos);
  }
}

}  // namespace
}  // namespace iop::paging
