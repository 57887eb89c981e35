// The scheduling directory end to end: real gRPC server in-process, real
// PostgreSQL and Redis, tokens through the real verifier.
#include <gtest/gtest.h>

#include <set>

#include "common/raw_call.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"
#include "support/service_harness.h"

namespace iop::scheduling {
namespace {

namespace v1 = ::iop::scheduling::v1;
using testing::Token;
using testing::WithToken;

class DirectoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = new testing::InProcess<SchedulingApp>("sched_dir"); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void SetUp() override { stub_ = v1::SchedulingService::NewStub(service_->Channel()); }

  // A fresh org per test keeps tests independent on the shared database.
  std::string NewOrg() { return "org-" + std::to_string(next_org_++) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

  v1::Site CreateSite(const std::string& token, const std::string& name,
                      const std::string& tz = "America/New_York", grpc::Status* status = nullptr,
                      const std::string& request_id = "") {
    v1::CreateSiteRequest req;
    req.mutable_site()->set_display_name(name);
    req.mutable_site()->set_time_zone(tz);
    req.set_request_id(request_id);
    v1::Site out;
    grpc::Status s = stub_->CreateSite(WithToken(token).get(), req, &out);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return out;
  }

  grpc::Status GetSite(const std::string& token, const std::string& id, v1::Site* out) {
    v1::GetSiteRequest req;
    req.set_id(id);
    return stub_->GetSite(WithToken(token).get(), req, out);
  }

  static testing::InProcess<SchedulingApp>* service_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  static inline int next_org_ = 0;
};

testing::InProcess<SchedulingApp>* DirectoryTest::service_ = nullptr;

TEST_F(DirectoryTest, HealthIsServingWithTheDatabase) {
  client::Health h;
  ASSERT_TRUE(client::CheckHealth(service_->Channel(), "", &h).ok());
  EXPECT_EQ(h, client::Health::kServing);
}

TEST_F(DirectoryTest, CreateGetAndListSites) {
  std::string admin = Token(NewOrg(), "admin");
  v1::Site a = CreateSite(admin, "Riverside Clinic", "America/Chicago");
  EXPECT_FALSE(a.id().empty());
  EXPECT_EQ(a.time_zone(), "America/Chicago");
  EXPECT_TRUE(a.has_create_time());
  v1::Site got;
  ASSERT_TRUE(GetSite(admin, a.id(), &got).ok());
  EXPECT_EQ(got.display_name(), "Riverside Clinic");
  EXPECT_EQ(got.id(), a.id());
}

TEST_F(DirectoryTest, PaginationVisitsEveryRowOnceInStableOrder) {
  std::string admin = Token(NewOrg(), "admin");
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) created.push_back(CreateSite(admin, "Site " + std::to_string(i)).id());
  auto list_all = [&] {
    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
      v1::ListSitesRequest req;
      req.set_page_size(3);
      req.set_page_token(token);
      v1::ListSitesResponse resp;
      EXPECT_TRUE(stub_->ListSites(WithToken(admin).get(), req, &resp).ok());
      for (const auto& s : resp.sites()) seen.push_back(s.id());
      token = resp.next_page_token();
      ++pages;
    } while (!token.empty() && pages < 10);
    EXPECT_EQ(pages, 3);
    return seen;
  };
  std::vector<std::string> first = list_all();
  EXPECT_EQ(first, created);  // creation order, nothing repeated or skipped
  EXPECT_EQ(list_all(), first);
}

TEST_F(DirectoryTest, ForeignPageTokenIsInvalidArgument) {
  std::string admin = Token(NewOrg(), "admin");
  for (int i = 0; i < 3; ++i) CreateSite(admin, "S" + std::to_string(i));
  v1::ListRoomsRequest rooms;
  v1::ListSitesRequest sites;
  sites.set_page_size(1);
  v1::ListSitesResponse page;
  ASSERT_TRUE(stub_->ListSites(WithToken(admin).get(), sites, &page).ok());
  rooms.set_page_token(page.next_page_token());
  v1::ListRoomsResponse out;
  grpc::Status s = stub_->ListRooms(WithToken(admin).get(), rooms, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_token"), std::string::npos);
}

TEST_F(DirectoryTest, InvalidSiteNamesEveryBadField) {
  std::string admin = Token(NewOrg(), "admin");
  grpc::Status s;
  CreateSite(admin, "", "Mars/Olympus", &s);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("site.display_name"), std::string::npos);
  EXPECT_NE(s.error_message().find("site.time_zone"), std::string::npos);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations_size(), 2);
}

TEST_F(DirectoryTest, TokensAreRequiredAndRolesEnforced) {
  std::string org = NewOrg();
  grpc::Status s;
  CreateSite("", "No token", "UTC", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  CreateSite("garbage", "Bad token", "UTC", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  CreateSite(Token(org, "front_desk"), "Front desk site", "UTC", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  CreateSite(Token(org, "auditor"), "Auditor site", "UTC", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(DirectoryTest, OtherOrgsSitesAreNotFoundExactlyLikeMissingOnes) {
  std::string org_a = NewOrg(), org_b = NewOrg();
  v1::Site a = CreateSite(Token(org_a, "admin"), "A's site");
  v1::Site got;
  // Read twice: the second read would come from the cache if scoping failed.
  ASSERT_TRUE(GetSite(Token(org_a, "admin"), a.id(), &got).ok());
  grpc::Status foreign = GetSite(Token(org_b, "admin"), a.id(), &got);
  grpc::Status missing = GetSite(Token(org_b, "admin"), "no-such-id", &got);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(foreign.error_message(), "iop.scheduling.v1.Site \"" + a.id() + "\" not found");
  v1::ListSitesResponse list;
  ASSERT_TRUE(stub_->ListSites(WithToken(Token(org_b, "admin")).get(), {}, &list).ok());
  EXPECT_EQ(list.sites_size(), 0);
  // Referencing another org's site from a write is NOT_FOUND too.
  v1::CreateRoomRequest room;
  room.mutable_room()->set_site_id(a.id());
  room.mutable_room()->set_display_name("Room 1");
  room.mutable_room()->set_capacity(10);
  v1::Room r;
  EXPECT_EQ(stub_->CreateRoom(WithToken(Token(org_b, "admin")).get(), room, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DirectoryTest, SiteLimitedTokenSeesOnlyItsSites) {
  std::string org = NewOrg();
  std::string admin = Token(org, "admin");
  v1::Site s1 = CreateSite(admin, "North");
  v1::Site s2 = CreateSite(admin, "South");
  std::string limited = Token(org, "clinician", {s1.id()});
  v1::Site got;
  EXPECT_TRUE(GetSite(limited, s1.id(), &got).ok());
  EXPECT_EQ(GetSite(limited, s2.id(), &got).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListSitesResponse list;
  ASSERT_TRUE(stub_->ListSites(WithToken(limited).get(), {}, &list).ok());
  ASSERT_EQ(list.sites_size(), 1);
  EXPECT_EQ(list.sites(0).id(), s1.id());

  // Clients: one at each site; the limited caller sees only its own.
  for (const auto* site : {&s1, &s2}) {
    v1::CreateClientRequest req;
    req.mutable_client()->set_display_name("Client at " + site->display_name());
    req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
    req.mutable_client()->set_site_id(site->id());
    v1::Client c;
    ASSERT_TRUE(stub_->CreateClient(WithToken(admin).get(), req, &c).ok());
  }
  v1::ListClientsResponse clients;
  ASSERT_TRUE(stub_->ListClients(WithToken(limited).get(), {}, &clients).ok());
  ASSERT_EQ(clients.clients_size(), 1);
  EXPECT_EQ(clients.clients(0).site_id(), s1.id());
}

TEST_F(DirectoryTest, RetriedCreateWithSameRequestIdIsAppliedOnce) {
  std::string admin = Token(NewOrg(), "admin");
  v1::Site first = CreateSite(admin, "Once", "UTC", nullptr, "req-1");
  v1::Site again = CreateSite(admin, "Once", "UTC", nullptr, "req-1");
  EXPECT_EQ(first.id(), again.id());
  v1::ListSitesResponse list;
  ASSERT_TRUE(stub_->ListSites(WithToken(admin).get(), {}, &list).ok());
  EXPECT_EQ(list.sites_size(), 1);
  grpc::Status s;
  CreateSite(admin, "Something else", "UTC", &s, "req-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("request_id"), std::string::npos);
}

TEST_F(DirectoryTest, ConcurrentRetriesCreateOneSite) {
  std::string admin = Token(NewOrg(), "admin");
  std::vector<std::thread> threads;
  std::vector<std::string> ids(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::SchedulingService::NewStub(service_->Channel());
      v1::CreateSiteRequest req;
      req.mutable_site()->set_display_name("Raced");
      req.mutable_site()->set_time_zone("UTC");
      req.set_request_id("same-id");
      v1::Site out;
      if (stub->CreateSite(WithToken(admin).get(), req, &out).ok()) ids[i] = out.id();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), 1u);
  EXPECT_FALSE(distinct.begin()->empty());
}

TEST_F(DirectoryTest, RoomsStaffClientsAndPrograms) {
  std::string org = NewOrg();
  std::string admin = Token(org, "admin");
  v1::Site site = CreateSite(admin, "Main");

  v1::CreateRoomRequest room_req;
  room_req.mutable_room()->set_site_id(site.id());
  room_req.mutable_room()->set_display_name("Room 2B");
  room_req.mutable_room()->set_capacity(0);
  v1::Room room;
  grpc::Status s = stub_->CreateRoom(WithToken(admin).get(), room_req, &room);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("room.capacity"), std::string::npos);
  room_req.mutable_room()->set_capacity(12);
  ASSERT_TRUE(stub_->CreateRoom(WithToken(admin).get(), room_req, &room).ok());
  v1::ListRoomsRequest rooms_req;
  rooms_req.set_site_id(site.id());
  v1::ListRoomsResponse rooms;
  ASSERT_TRUE(stub_->ListRooms(WithToken(Token(org, "partner")).get(), rooms_req, &rooms).ok());
  ASSERT_EQ(rooms.rooms_size(), 1);
  EXPECT_EQ(rooms.rooms(0).capacity(), 12);

  v1::CreateStaffRequest staff_req;
  staff_req.mutable_staff()->set_display_name("Dana Reyes");
  staff_req.mutable_staff()->set_credentials("LCSW");
  staff_req.mutable_staff()->add_site_ids(site.id());
  v1::Staff staff;
  ASSERT_TRUE(stub_->CreateStaff(WithToken(admin).get(), staff_req, &staff).ok());
  v1::GetStaffRequest get_staff;
  get_staff.set_id(staff.id());
  v1::Staff got_staff;
  ASSERT_TRUE(stub_->GetStaff(WithToken(admin).get(), get_staff, &got_staff).ok());
  ASSERT_EQ(got_staff.site_ids_size(), 1);
  EXPECT_EQ(got_staff.site_ids(0), site.id());

  v1::CreateClientRequest client_req;
  client_req.mutable_client()->set_display_name("John D.");
  client_req.mutable_client()->set_external_ref("EHR-1001");
  client_req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
  client_req.mutable_client()->set_site_id(site.id());
  v1::Client john;
  ASSERT_TRUE(stub_->CreateClient(WithToken(Token(org, "front_desk")).get(), client_req, &john).ok());
  v1::Client dup;
  s = stub_->CreateClient(WithToken(admin).get(), client_req, &dup);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("client.external_ref"), std::string::npos);
  v1::ListClientsRequest by_ref;
  by_ref.set_external_ref("EHR-1001");
  v1::ListClientsResponse found;
  ASSERT_TRUE(stub_->ListClients(WithToken(admin).get(), by_ref, &found).ok());
  ASSERT_EQ(found.clients_size(), 1);
  EXPECT_EQ(found.clients(0).id(), john.id());
  client_req.mutable_client()->set_external_ref("");
  client_req.mutable_client()->set_age_group(v1::AGE_GROUP_UNSPECIFIED);
  s = stub_->CreateClient(WithToken(admin).get(), client_req, &dup);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("client.age_group"), std::string::npos);

  v1::CreateProgramRequest prog_req;
  prog_req.mutable_program()->set_site_id(site.id());
  prog_req.mutable_program()->set_display_name("Adolescent IOP");
  prog_req.mutable_program()->set_age_group(v1::AGE_GROUP_ADOLESCENT);
  prog_req.mutable_program()->set_focus(v1::PROGRAM_FOCUS_MENTAL_HEALTH);
  v1::Program teen;
  ASSERT_TRUE(stub_->CreateProgram(WithToken(admin).get(), prog_req, &teen).ok());
  EXPECT_EQ(teen.min_weekly_hours(), 6);
  EXPECT_EQ(teen.max_weekly_hours(), 19);
  EXPECT_EQ(teen.daily_minimum_minutes(), 180);
  EXPECT_EQ(teen.consecutive_absence_threshold(), 2);
  EXPECT_FALSE(teen.etag().empty());
  prog_req.mutable_program()->set_age_group(v1::AGE_GROUP_ADULT);
  v1::Program adult;
  ASSERT_TRUE(stub_->CreateProgram(WithToken(admin).get(), prog_req, &adult).ok());
  EXPECT_EQ(adult.min_weekly_hours(), 9);
  EXPECT_EQ(adult.max_weekly_hours(), 19);
  prog_req.mutable_program()->set_min_weekly_hours(12);
  prog_req.mutable_program()->set_max_weekly_hours(10);
  s = stub_->CreateProgram(WithToken(admin).get(), prog_req, &adult);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("program.max_weekly_hours"), std::string::npos);
}

TEST_F(DirectoryTest, ClientReadsAreAuditedAndAuditorsReadTheLog) {
  std::string org = NewOrg();
  std::string admin = Token(org, "admin");
  v1::Site site = CreateSite(admin, "Audited");
  v1::CreateClientRequest req;
  req.mutable_client()->set_display_name("Maria S.");
  req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
  req.mutable_client()->set_site_id(site.id());
  v1::Client maria;
  ASSERT_TRUE(stub_->CreateClient(WithToken(admin).get(), req, &maria).ok());
  v1::GetClientRequest get;
  get.set_id(maria.id());
  v1::Client got;
  ASSERT_TRUE(stub_->GetClient(WithToken(Token(org, "clinician", {}, "dr-who")).get(), get, &got).ok());
  get.set_id("missing");
  EXPECT_EQ(stub_->GetClient(WithToken(admin).get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  iop::common::v1::ListAuditEventsRequest audit_req;
  audit_req.set_resource_id(maria.id());
  iop::common::v1::ListAuditEventsResponse events;
  EXPECT_EQ(stub_->ListAuditEvents(WithToken(Token(org, "clinician")).get(), audit_req, &events).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(Token(org, "auditor")).get(), audit_req, &events).ok());
  ASSERT_EQ(events.audit_events_size(), 2);  // newest first: the read, then the create
  EXPECT_EQ(events.audit_events(0).subject(), "dr-who");
  EXPECT_EQ(events.audit_events(0).outcome(), "OK");
  EXPECT_NE(events.audit_events(0).method().find("GetClient"), std::string::npos);
  EXPECT_NE(events.audit_events(1).method().find("CreateClient"), std::string::npos);
  // The failed read is recorded with its outcome.
  audit_req.set_resource_id("missing");
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(Token(org, "auditor")).get(), audit_req, &events).ok());
  ASSERT_EQ(events.audit_events_size(), 1);
  EXPECT_EQ(events.audit_events(0).outcome(), "NOT_FOUND");
  // Another org's auditor sees none of it.
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(Token(NewOrg(), "auditor")).get(), {}, &events).ok());
  EXPECT_EQ(events.audit_events_size(), 0);
}

// libpq ends a text parameter at its first NUL byte, so "<id>\0x" would read
// the client "<id>", and the audit insert would refuse the NUL: a read of
// client data with no audit record.
TEST_F(DirectoryTest, IdsWithNulCharactersAreRefusedAndTheRefusalIsAudited) {
  std::string org = NewOrg();
  std::string admin = Token(org, "admin");
  v1::CreateClientRequest req;
  req.mutable_client()->set_display_name("Ana P.");
  req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
  v1::Client ana;
  ASSERT_TRUE(stub_->CreateClient(WithToken(admin).get(), req, &ana).ok());

  v1::GetClientRequest get;
  get.set_id(ana.id() + std::string("\0x", 2));
  v1::Client got;
  grpc::Status s = stub_->GetClient(WithToken(admin).get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "id: must not contain NUL characters");
  EXPECT_TRUE(got.id().empty());

  iop::common::v1::ListAuditEventsResponse events;
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(Token(org, "auditor")).get(), {}, &events).ok());
  ASSERT_EQ(events.audit_events_size(), 2);  // newest first: the refused read, then the create
  EXPECT_NE(events.audit_events(0).method().find("GetClient"), std::string::npos);
  EXPECT_EQ(events.audit_events(0).outcome(), "INVALID_ARGUMENT");
  EXPECT_NE(events.audit_events(1).method().find("CreateClient"), std::string::npos);
}

}  // namespace
}  // namespace iop::scheduling
