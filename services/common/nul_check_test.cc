#include "common/nul_check.h"

#include <gtest/gtest.h>

#include "iop/attendance/v1/attendance.pb.h"
#include "iop/scheduling/v1/scheduling.pb.h"

namespace iop::errors {
namespace {

const std::string kNul("\0", 1);

std::string Refusal(const google::protobuf::Message& request) {
  try {
    RejectNul(request);
  } catch (const RpcError& e) {
    EXPECT_EQ(e.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return e.status().error_message();
  }
  return "";
}

TEST(NulCheckTest, OrdinaryTextPasses) {
  scheduling::v1::CreateGroupRequest req;
  req.set_request_id("r-1");
  req.mutable_group()->set_display_name("Tuesday DBT \xC3\xA9\xE2\x80\x94 skills");  // é, em dash
  req.mutable_group()->add_facilitator_ids("staff-1");
  req.mutable_group()->mutable_recurrence()->set_start_local_time("09:30");
  EXPECT_EQ(Refusal(req), "");
}

TEST(NulCheckTest, NamesTopLevelNestedAndRepeatedFields) {
  scheduling::v1::CreateGroupRequest req;
  req.set_request_id("r" + kNul);
  req.mutable_group()->add_facilitator_ids("staff-1");
  req.mutable_group()->add_facilitator_ids("staff-2" + kNul + "x");
  req.mutable_group()->mutable_recurrence()->set_start_local_time(kNul + "09:30");
  EXPECT_EQ(Refusal(req),
            "group.facilitator_ids[1]: must not contain NUL characters; "
            "group.recurrence.start_local_time: must not contain NUL characters; "
            "request_id: must not contain NUL characters");
}

TEST(NulCheckTest, NamesFieldsInsideRepeatedMessages) {
  attendance::v1::RecordAttendanceRequest req;
  req.set_session_id("s-1");
  req.add_entries()->set_client_id("c-1");
  auto* second = req.add_entries();
  second->set_client_id("c-2");
  second->set_note("left at" + kNul);
  EXPECT_EQ(Refusal(req), "entries[1].note: must not contain NUL characters");

  Validator v;
  CheckNoNul(v, req.entries(0));
  EXPECT_TRUE(v.ok());
}

}  // namespace
}  // namespace iop::errors
