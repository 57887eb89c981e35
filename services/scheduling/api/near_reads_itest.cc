// Reads answered from the in-process copy (GetGroup, GetSite, GetRoom,
// GetStaff, GetProgram): they keep the same scoping as every other read and
// see this replica's writes at once.
#include <chrono>
#include <thread>

#include "scheduling/api/schedule_fixture.h"

namespace iop::scheduling {
namespace {

class NearReadsTest : public ScheduleTest {
 protected:
  // Reads a few times until one is answered near (the copy fills on the
  // first read that goes through); false if none is within two seconds.
  template <class Read>
  static bool AnsweredNear(const Read& read) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until) {
      const double before = TotalNearHits();
      if (!read()) return false;
      if (TotalNearHits() > before) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static double TotalNearHits() {
    double total = 0;
    for (const auto& family : service_->app().runtime().metrics().registry().Collect()) {
      if (family.name != "iop_cache_near_hits_total") continue;
      for (const auto& m : family.metric) total += m.counter.value;
    }
    return total;
  }
};

template <class Req>
Req ById(const std::string& id) {
  Req r;
  r.set_id(id);
  return r;
}

TEST_F(NearReadsTest, NearAnswersKeepOrgAndSiteScope) {
  Org a = NewOrg();
  v1::Group g = NewGroup(a, {.facilitators = {a.staff.id()}, .room = a.room.id()});
  auto admin = [&] { return WithToken(a.admin); };
  v1::Group group;
  v1::Site site;
  v1::Room room;
  v1::Staff staff;
  v1::Program program;
  // Each object is read near by its own org's admin first...
  EXPECT_TRUE(AnsweredNear([&] { return stub_->GetGroup(admin().get(), ById<v1::GetGroupRequest>(g.id()), &group).ok(); }));
  EXPECT_TRUE(AnsweredNear([&] { return stub_->GetSite(admin().get(), ById<v1::GetSiteRequest>(a.site.id()), &site).ok(); }));
  EXPECT_TRUE(AnsweredNear([&] { return stub_->GetRoom(admin().get(), ById<v1::GetRoomRequest>(a.room.id()), &room).ok(); }));
  EXPECT_TRUE(AnsweredNear([&] { return stub_->GetStaff(admin().get(), ById<v1::GetStaffRequest>(a.staff.id()), &staff).ok(); }));
  EXPECT_TRUE(AnsweredNear([&] { return stub_->GetProgram(admin().get(), ById<v1::GetProgramRequest>(a.program.id()), &program).ok(); }));
  EXPECT_EQ(group.id(), g.id());
  EXPECT_EQ(site.id(), a.site.id());
  EXPECT_EQ(room.id(), a.room.id());
  EXPECT_EQ(staff.id(), a.staff.id());
  EXPECT_EQ(program.id(), a.program.id());

  // ...and is still NOT_FOUND to another org and to a caller of another site.
  v1::Site north = NewSite(a.admin, "America/Chicago", "North");
  for (const std::string& token : {Token(NewOrgId(), "admin"), Token(a.id, "clinician", {north.id()})}) {
    auto ctx = [&] { return WithToken(token); };
    EXPECT_EQ(stub_->GetGroup(ctx().get(), ById<v1::GetGroupRequest>(g.id()), &group).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(stub_->GetSite(ctx().get(), ById<v1::GetSiteRequest>(a.site.id()), &site).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(stub_->GetRoom(ctx().get(), ById<v1::GetRoomRequest>(a.room.id()), &room).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(stub_->GetStaff(ctx().get(), ById<v1::GetStaffRequest>(a.staff.id()), &staff).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(stub_->GetProgram(ctx().get(), ById<v1::GetProgramRequest>(a.program.id()), &program).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // A caller whose role may not read the schedule is refused, not answered near.
  EXPECT_EQ(stub_->GetGroup(WithToken(Token(a.id, "auditor")).get(), ById<v1::GetGroupRequest>(g.id()), &group)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetGroup(WithToken("not-a-token").get(), ById<v1::GetGroupRequest>(g.id()), &group).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NearReadsTest, WritesAreSeenByTheNextRead) {
  Org a = NewOrg();
  v1::Group g = NewGroup(a, {.facilitators = {a.staff.id()}, .room = a.room.id()});
  v1::Group group;
  v1::Program program;
  ASSERT_TRUE(AnsweredNear([&] {
    return stub_->GetGroup(WithToken(a.admin).get(), ById<v1::GetGroupRequest>(g.id()), &group).ok();
  }));
  ASSERT_TRUE(AnsweredNear([&] {
    return stub_->GetProgram(WithToken(a.admin).get(), ById<v1::GetProgramRequest>(a.program.id()), &program).ok();
  }));
  std::string etag = g.etag();
  for (const char* name : {"Renamed", "Renamed again", "Third name"}) {
    v1::UpdateGroupRequest up;
    up.mutable_group()->set_id(g.id());
    up.mutable_group()->set_etag(etag);
    up.mutable_group()->set_display_name(name);
    up.mutable_update_mask()->add_paths("display_name");
    v1::Group updated;
    ASSERT_TRUE(stub_->UpdateGroup(WithToken(a.admin).get(), up, &updated).ok());
    etag = updated.etag();
    for (int i = 0; i < 3; ++i) {  // through, then near
      ASSERT_TRUE(stub_->GetGroup(WithToken(a.admin).get(), ById<v1::GetGroupRequest>(g.id()), &group).ok());
      EXPECT_EQ(group.display_name(), name);
      EXPECT_EQ(group.etag(), etag);
    }
  }
  v1::UpdateProgramRequest prog;
  prog.mutable_program()->set_id(program.id());
  prog.mutable_program()->set_etag(program.etag());
  prog.mutable_program()->set_min_weekly_hours(10);
  prog.mutable_update_mask()->add_paths("min_weekly_hours");
  v1::Program updated;
  ASSERT_TRUE(stub_->UpdateProgram(WithToken(a.admin).get(), prog, &updated).ok());
  ASSERT_TRUE(stub_->GetProgram(WithToken(a.admin).get(), ById<v1::GetProgramRequest>(program.id()), &program).ok());
  EXPECT_EQ(program.min_weekly_hours(), 10);
  EXPECT_GT(TotalNearHits(), 0);
}

}  // namespace
}  // namespace iop::scheduling
