// Shared set-up of the group, session and enrollment integration tests: a
// real in-process server, and helpers that build an org's directory.
#pragma once

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include "absl/time/civil_time.h"
#include "common/sql.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"
#include "scheduling/domain/recurrence.h"
#include "support/service_harness.h"

namespace iop::scheduling {

// `v1` here is iop::scheduling::v1 itself (an alias of the same name would be
// a redefinition, which clang refuses).
using testing::Token;
using testing::WithToken;

// One org with a site, two rooms, two facilitators and an adult program.
struct Org {
  std::string id, admin;
  v1::Site site;
  v1::Room room, room2;
  v1::Staff staff, staff2;
  v1::Program program;
};

struct GroupSpec {
  std::vector<int> weekdays = {1};
  std::string start = "10:00";
  int minutes = 120;
  std::string starts_on = "2030-01-07";
  std::string ends_on = "2030-01-27";
  std::vector<std::string> facilitators;
  std::string room;
  int max_size = 0;
  std::string name = "Group";
};

class ScheduleTest : public ::testing::Test {
 public:
  static google::protobuf::Timestamp Ts(absl::CivilMinute m) {
    return sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(m, absl::UTCTimeZone())));
  }

 protected:
  static void SetUpTestSuite() { service_ = new testing::InProcess<SchedulingApp>("sched_grp"); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void SetUp() override { stub_ = v1::SchedulingService::NewStub(service_->Channel()); }

  std::string NewOrgId() {
    return "org-" + std::to_string(next_org_++) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  template <class Req, class Resp, class Fn>
  Resp Must(Fn fn, const std::string& token, const Req& req) {
    Resp out;
    grpc::Status s = (stub_.get()->*fn)(WithToken(token).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  v1::Site NewSite(const std::string& admin, const std::string& tz, const std::string& name = "Main") {
    v1::CreateSiteRequest r;
    r.mutable_site()->set_display_name(name);
    r.mutable_site()->set_time_zone(tz);
    return Must<v1::CreateSiteRequest, v1::Site>(&v1::SchedulingService::Stub::CreateSite, admin, r);
  }
  v1::Room NewRoom(const std::string& admin, const std::string& site, int capacity, const std::string& name = "Room") {
    v1::CreateRoomRequest r;
    r.mutable_room()->set_site_id(site);
    r.mutable_room()->set_display_name(name);
    r.mutable_room()->set_capacity(capacity);
    return Must<v1::CreateRoomRequest, v1::Room>(&v1::SchedulingService::Stub::CreateRoom, admin, r);
  }
  v1::Staff NewStaff(const std::string& admin, const std::string& site, const std::string& name = "Dana") {
    v1::CreateStaffRequest r;
    r.mutable_staff()->set_display_name(name);
    r.mutable_staff()->add_site_ids(site);
    return Must<v1::CreateStaffRequest, v1::Staff>(&v1::SchedulingService::Stub::CreateStaff, admin, r);
  }
  v1::Program NewProgram(const std::string& admin, const std::string& site) {
    v1::CreateProgramRequest r;
    r.mutable_program()->set_site_id(site);
    r.mutable_program()->set_display_name("Adult IOP");
    r.mutable_program()->set_age_group(v1::AGE_GROUP_ADULT);
    r.mutable_program()->set_focus(v1::PROGRAM_FOCUS_MENTAL_HEALTH);
    return Must<v1::CreateProgramRequest, v1::Program>(&v1::SchedulingService::Stub::CreateProgram, admin, r);
  }
  v1::Client NewClient(const std::string& admin, const std::string& site, const std::string& name,
                       v1::AgeGroup age = v1::AGE_GROUP_ADULT) {
    v1::CreateClientRequest r;
    r.mutable_client()->set_display_name(name);
    r.mutable_client()->set_age_group(age);
    r.mutable_client()->set_site_id(site);
    return Must<v1::CreateClientRequest, v1::Client>(&v1::SchedulingService::Stub::CreateClient, admin, r);
  }

  Org NewOrg(const std::string& tz = "America/New_York", int capacity = 12) {
    Org o;
    o.id = NewOrgId();
    o.admin = Token(o.id, "admin");
    o.site = NewSite(o.admin, tz);
    o.room = NewRoom(o.admin, o.site.id(), capacity, "Room A");
    o.room2 = NewRoom(o.admin, o.site.id(), capacity, "Room B");
    o.staff = NewStaff(o.admin, o.site.id(), "Dana");
    o.staff2 = NewStaff(o.admin, o.site.id(), "Lee");
    o.program = NewProgram(o.admin, o.site.id());
    return o;
  }

  v1::CreateGroupRequest GroupRequest(const Org& o, const GroupSpec& spec) {
    v1::CreateGroupRequest r;
    auto* g = r.mutable_group();
    g->set_program_id(o.program.id());
    g->set_display_name(spec.name);
    g->set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
    for (const auto& f : spec.facilitators) g->add_facilitator_ids(f);
    g->set_room_id(spec.room);
    g->set_max_size(spec.max_size);
    auto* rec = g->mutable_recurrence();
    for (int d : spec.weekdays) rec->add_weekdays(static_cast<iop::common::v1::Weekday>(d));
    rec->set_start_local_time(spec.start);
    rec->set_duration_minutes(spec.minutes);
    rec->set_starts_on(spec.starts_on);
    rec->set_ends_on(spec.ends_on);
    return r;
  }

  grpc::Status TryGroup(const std::string& token, const v1::CreateGroupRequest& r, v1::Group* out) {
    return stub_->CreateGroup(WithToken(token).get(), r, out);
  }
  v1::Group NewGroup(const Org& o, const GroupSpec& spec) {
    v1::Group g;
    grpc::Status s = TryGroup(o.admin, GroupRequest(o, spec), &g);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return g;
  }

  std::vector<v1::Session> Sessions(const std::string& token, v1::ListSessionsRequest r, absl::CivilDay from,
                                    absl::CivilDay to, int page_size = 0) {
    *r.mutable_start_time() = Ts(absl::CivilMinute(from));
    *r.mutable_end_time() = Ts(absl::CivilMinute(to));
    r.set_page_size(page_size);
    std::vector<v1::Session> out;
    for (int pages = 0; pages < 100; ++pages) {
      v1::ListSessionsResponse resp;
      grpc::Status s = stub_->ListSessions(WithToken(token).get(), r, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.sessions().begin(), resp.sessions().end());
      if (resp.next_page_token().empty()) break;
      r.set_page_token(resp.next_page_token());
    }
    return out;
  }
  std::vector<v1::Session> GroupSessions(const std::string& token, const std::string& group_id,
                                         absl::CivilDay from, absl::CivilDay to) {
    v1::ListSessionsRequest r;
    r.set_group_id(group_id);
    return Sessions(token, r, from, to);
  }

  // The PreconditionFailure violations of a FAILED_PRECONDITION status.
  static std::vector<std::pair<std::string, std::string>> Violations(const grpc::Status& s) {
    std::vector<std::pair<std::string, std::string>> out;
    google::rpc::Status rich;
    if (!rich.ParseFromString(s.error_details())) return out;
    for (const auto& d : rich.details()) {
      google::rpc::PreconditionFailure pf;
      if (!d.UnpackTo(&pf)) continue;
      for (const auto& v : pf.violations()) out.emplace_back(v.type(), v.subject());
    }
    return out;
  }

  // Current value of a counter series, 0 when absent.
  static double Counter(const std::string& name, const std::string& label, const std::string& value) {
    for (const auto& family : service_->app().runtime().metrics().registry().Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        for (const auto& l : m.label) {
          if (l.name == label && l.value == value) return m.counter.value;
        }
        if (label.empty()) return m.counter.value;
      }
    }
    return 0;
  }

  static inline testing::InProcess<SchedulingApp>* service_ = nullptr;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  static inline int next_org_ = 0;
};

}  // namespace iop::scheduling
