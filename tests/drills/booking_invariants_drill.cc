// Drill: eight writers race to create groups, one-off sessions, enrollments
// and start-time changes over the same few facilitators, rooms and clients.
// Whatever interleaving happened, the schedule read back from the API must
// double-book no facilitator, room or client, and no group may have more
// active members than its max_size.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "drills/drill_support.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"
#include "support/service_harness.h"

namespace iop::drills {
namespace {

namespace v1 = ::iop::scheduling::v1;
namespace cv1 = ::iop::common::v1;
using testing::Token;
using testing::WithToken;

constexpr int kWriters = 8;
constexpr int kMaxOpsPerWriter = 300;
constexpr auto kRunTime = Millis(4000);
const char* const kStarts[] = {"09:00", "09:30", "10:00", "10:30", "11:00"};
const int kMinutes[] = {60, 90};
// Groups meet in the two weeks from Monday 2030-01-07; the site is on UTC.
const absl::CivilDay kFirstDay(2030, 1, 7);
const absl::CivilDay kLastDay(2030, 1, 20);

google::protobuf::Timestamp At(absl::CivilMinute m) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(absl::FromCivil(m, absl::UTCTimeZone())));
  return ts;
}

class BookingInvariantsDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<testing::InProcess<scheduling::SchedulingApp>>("drill_book");
    // Refusals list every conflicting session and can outgrow gRPC's default
    // 8 KiB metadata limit (see ConflictRefusalFitsTheDefaultClientMetadataLimit);
    // the writers must see the real answer to judge it.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, 1 << 20);
    stub_ = v1::SchedulingService::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(service_->port()), grpc::InsecureChannelCredentials(), args));
    v1::CreateSiteRequest site;
    site.mutable_site()->set_display_name("Busy site");
    site.mutable_site()->set_time_zone("UTC");
    ASSERT_TRUE(stub_->CreateSite(WithToken(admin_).get(), site, &site_).ok());
    for (int i = 0; i < 3; ++i) {
      v1::CreateRoomRequest r;
      r.mutable_room()->set_site_id(site_.id());
      r.mutable_room()->set_display_name("Room " + std::to_string(i));
      r.mutable_room()->set_capacity(12);
      v1::Room room;
      ASSERT_TRUE(stub_->CreateRoom(WithToken(admin_).get(), r, &room).ok());
      rooms_.push_back(room.id());
      v1::CreateStaffRequest s;
      s.mutable_staff()->set_display_name("Facilitator " + std::to_string(i));
      s.mutable_staff()->add_site_ids(site_.id());
      v1::Staff staff;
      ASSERT_TRUE(stub_->CreateStaff(WithToken(admin_).get(), s, &staff).ok());
      staff_.push_back(staff.id());
    }
    for (int i = 0; i < 6; ++i) {
      v1::CreateClientRequest c;
      c.mutable_client()->set_display_name("Client " + std::to_string(i));
      c.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
      c.mutable_client()->set_site_id(site_.id());
      v1::Client client;
      ASSERT_TRUE(stub_->CreateClient(WithToken(admin_).get(), c, &client).ok());
      clients_.push_back(client.id());
    }
    v1::CreateProgramRequest p;
    p.mutable_program()->set_site_id(site_.id());
    p.mutable_program()->set_display_name("Adult IOP");
    p.mutable_program()->set_age_group(v1::AGE_GROUP_ADULT);
    p.mutable_program()->set_focus(v1::PROGRAM_FOCUS_CO_OCCURRING);
    ASSERT_TRUE(stub_->CreateProgram(WithToken(admin_).get(), p, &program_).ok());
  }

  std::string RandomGroup(std::mt19937& rng) {
    std::lock_guard lock(groups_mu_);
    return groups_.empty() ? "" : groups_[rng() % groups_.size()];
  }

  void CreateGroup(std::mt19937& rng, int n) {
    v1::CreateGroupRequest req;
    auto* g = req.mutable_group();
    g->set_program_id(program_.id());
    g->set_display_name("Group " + std::to_string(n));
    g->set_modality(cv1::MODALITY_PROCESS);
    g->add_facilitator_ids(staff_[rng() % staff_.size()]);
    if (rng() % 4 == 0) {
      const std::string second = staff_[rng() % staff_.size()];
      if (second != g->facilitator_ids(0)) g->add_facilitator_ids(second);
    }
    if (rng() % 5 != 0) g->set_room_id(rooms_[rng() % rooms_.size()]);
    g->set_min_size(1);
    g->set_max_size(1 + static_cast<int>(rng() % 3));
    auto* rec = g->mutable_recurrence();
    rec->add_weekdays(rng() % 2 ? cv1::WEEKDAY_MONDAY : cv1::WEEKDAY_TUESDAY);
    if (rng() % 4 == 0) rec->add_weekdays(cv1::WEEKDAY_THURSDAY);
    rec->set_start_local_time(kStarts[rng() % 5]);
    rec->set_duration_minutes(kMinutes[rng() % 2]);
    rec->set_starts_on(absl::FormatCivilTime(kFirstDay));
    rec->set_ends_on(absl::FormatCivilTime(kLastDay));
    req.set_request_id("group-" + std::to_string(n));
    v1::Group out;
    grpc::Status s = stub_->CreateGroup(WithToken(admin_).get(), req, &out);
    outcomes_.Add("CreateGroup", s);
    if (s.ok()) {
      std::lock_guard lock(groups_mu_);
      groups_.push_back(out.id());
    }
  }

  void CreateOneOff(std::mt19937& rng, int n) {
    const std::string group = RandomGroup(rng);
    if (group.empty()) return;
    v1::CreateSessionRequest req;
    auto* session = req.mutable_session();
    session->set_group_id(group);
    const absl::CivilDay day = kFirstDay + static_cast<int>(rng() % 5);
    const int start_minute = 9 * 60 + 30 * static_cast<int>(rng() % 5);
    const absl::CivilMinute start(day.year(), day.month(), day.day(), start_minute / 60, start_minute % 60);
    *session->mutable_start_time() = At(start);
    *session->mutable_end_time() = At(start + kMinutes[rng() % 2]);
    if (rng() % 3 == 0) session->set_room_id(rooms_[rng() % rooms_.size()]);
    req.set_request_id("oneoff-" + std::to_string(n));
    v1::Session out;
    outcomes_.Add("CreateSession", stub_->CreateSession(WithToken(admin_).get(), req, &out));
  }

  void Enroll(std::mt19937& rng, int n) {
    const std::string group = RandomGroup(rng);
    if (group.empty()) return;
    v1::EnrollClientRequest req;
    req.set_group_id(group);
    req.set_client_id(clients_[rng() % clients_.size()]);
    req.set_request_id("enroll-" + std::to_string(n));
    v1::Membership out;
    outcomes_.Add("EnrollClient", stub_->EnrollClient(WithToken(admin_).get(), req, &out));
  }

  void MoveGroup(std::mt19937& rng, int n) {
    const std::string group = RandomGroup(rng);
    if (group.empty()) return;
    v1::GetGroupRequest get;
    get.set_id(group);
    v1::Group current;
    if (!stub_->GetGroup(WithToken(admin_).get(), get, &current).ok()) return;
    v1::UpdateGroupRequest req;
    req.mutable_group()->set_id(group);
    req.mutable_group()->set_etag(current.etag());
    req.mutable_group()->mutable_recurrence()->set_start_local_time(kStarts[rng() % 5]);
    req.mutable_update_mask()->add_paths("recurrence.start_local_time");
    req.set_request_id("move-" + std::to_string(n));
    v1::Group out;
    outcomes_.Add("UpdateGroup", stub_->UpdateGroup(WithToken(admin_).get(), req, &out));
  }

  void Writer(int w) {
    std::mt19937 rng(777 + w);
    const auto until = Clock::now() + kRunTime;
    for (int i = 0; i < kMaxOpsPerWriter && Clock::now() < until; ++i) {
      const int n = w * kMaxOpsPerWriter + i;
      const int dice = static_cast<int>(rng() % 100);
      if (dice < 35) {
        CreateGroup(rng, n);
      } else if (dice < 60) {
        CreateOneOff(rng, n);
      } else if (dice < 90) {
        Enroll(rng, n);
      } else {
        MoveGroup(rng, n);
      }
    }
  }

  // Scheduled sessions over the whole horizon matching `filter`.
  std::vector<v1::Session> Scheduled(v1::ListSessionsRequest filter) {
    *filter.mutable_start_time() = At(absl::CivilMinute(kFirstDay - 1));
    *filter.mutable_end_time() = At(absl::CivilMinute(kLastDay + 2));
    filter.set_status(v1::SESSION_STATUS_SCHEDULED);
    filter.set_page_size(500);
    std::vector<v1::Session> out;
    for (int page = 0; page < 50; ++page) {
      v1::ListSessionsResponse resp;
      grpc::Status s = stub_->ListSessions(WithToken(admin_).get(), filter, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.sessions().begin(), resp.sessions().end());
      if (!s.ok() || resp.next_page_token().empty()) break;
      filter.set_page_token(resp.next_page_token());
    }
    return out;
  }

  // Pairs of sessions in `sessions` whose times overlap, described; every
  // pair is a failure (including a group's occurrence over its own one-off).
  std::vector<std::string> Overlaps(std::vector<v1::Session> sessions) {
    std::sort(sessions.begin(), sessions.end(),
              [](const auto& a, const auto& b) { return a.start_time().seconds() < b.start_time().seconds(); });
    std::vector<std::string> out;
    for (size_t i = 0; i < sessions.size(); ++i) {
      for (size_t j = i + 1; j < sessions.size(); ++j) {
        const v1::Session& a = sessions[i];
        const v1::Session& b = sessions[j];
        if (b.start_time().seconds() >= a.end_time().seconds()) break;
        std::string what = a.id() + " (group " + a.group_id() + ", " + a.local_date() + " " + a.local_start_time() +
                           ") overlaps " + b.id() + " (group " + b.group_id() + ", " + b.local_start_time() + ")";
        out.push_back(what);
      }
    }
    return out;
  }

  v1::CreateGroupRequest WeeklyGroup(const std::string& name, const std::string& starts_on,
                                     const std::string& ends_on) {
    v1::CreateGroupRequest req;
    auto* g = req.mutable_group();
    g->set_program_id(program_.id());
    g->set_display_name(name);
    g->set_modality(cv1::MODALITY_CBT);
    g->add_facilitator_ids(staff_[0]);
    g->set_room_id(rooms_[0]);
    auto* rec = g->mutable_recurrence();
    rec->add_weekdays(cv1::WEEKDAY_MONDAY);
    rec->add_weekdays(cv1::WEEKDAY_THURSDAY);
    rec->set_start_local_time("13:00");
    rec->set_duration_minutes(90);
    rec->set_starts_on(starts_on);
    rec->set_ends_on(ends_on);
    return req;
  }

  std::unique_ptr<testing::InProcess<scheduling::SchedulingApp>> service_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  const std::string admin_ = Token("org-drill-booking", "admin");
  v1::Site site_;
  v1::Program program_;
  std::vector<std::string> rooms_, staff_, clients_;
  std::mutex groups_mu_;
  std::vector<std::string> groups_;
  Outcomes outcomes_;
};

TEST_F(BookingInvariantsDrill, ConcurrentBookingNeverDoubleBooksOrOverfillsAGroup) {
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back([this, w] { Writer(w); });
  for (auto& t : writers) t.join();
  std::printf("drill: %zu groups; %s\n", groups_.size(), outcomes_.Summary().c_str());

  // Refusals are the rules at work; anything else is a defect.
  const std::vector<grpc::StatusCode> refusals = {grpc::StatusCode::OK, grpc::StatusCode::FAILED_PRECONDITION,
                                                  grpc::StatusCode::ALREADY_EXISTS};
  int stale_etags = outcomes_.Count("UpdateGroup", grpc::StatusCode::ABORTED);
  EXPECT_EQ(outcomes_.CountOutside(refusals) - stale_etags, 0) << outcomes_.Summary();
  // Enough happened, and enough was refused, for the race to be real.
  ASSERT_GE(groups_.size(), 5u) << outcomes_.Summary();
  EXPECT_GT(outcomes_.Count("CreateGroup", grpc::StatusCode::FAILED_PRECONDITION), 0);
  EXPECT_GT(outcomes_.Count("EnrollClient", grpc::StatusCode::OK), 0);

  size_t checked = 0;
  for (const auto& staff : staff_) {
    v1::ListSessionsRequest f;
    f.set_facilitator_id(staff);
    auto sessions = Scheduled(f);
    checked += sessions.size();
    EXPECT_EQ(Overlaps(sessions), std::vector<std::string>{}) << "facilitator " << staff << " is double-booked";
  }
  EXPECT_GT(checked, 0u);

  v1::ListSessionsRequest at_site;
  at_site.set_site_id(site_.id());
  std::map<std::string, std::vector<v1::Session>> by_room;
  for (auto& s : Scheduled(at_site)) {
    if (!s.room_id().empty()) by_room[s.room_id()].push_back(s);
  }
  EXPECT_FALSE(by_room.empty());
  for (const auto& [room, sessions] : by_room) {
    EXPECT_EQ(Overlaps(sessions), std::vector<std::string>{}) << "room " << room << " is double-booked";
  }

  for (const auto& client : clients_) {
    v1::ListSessionsRequest f;
    f.set_client_id(client);
    EXPECT_EQ(Overlaps(Scheduled(f)), std::vector<std::string>{}) << "client " << client << " is double-booked";
  }

  for (const auto& group_id : groups_) {
    v1::GetGroupRequest get;
    get.set_id(group_id);
    v1::Group group;
    ASSERT_TRUE(stub_->GetGroup(WithToken(admin_).get(), get, &group).ok());
    v1::ListMembershipsRequest req;
    req.set_group_id(group_id);
    req.set_page_size(500);
    v1::ListMembershipsResponse resp;
    ASSERT_TRUE(stub_->ListMemberships(WithToken(admin_).get(), req, &resp).ok());
    int active = 0;
    std::vector<int> positions;
    for (const auto& m : resp.memberships()) {
      if (m.status() == v1::MEMBERSHIP_STATUS_ACTIVE) ++active;
      if (m.status() == v1::MEMBERSHIP_STATUS_WAITLISTED) positions.push_back(m.waitlist_position());
    }
    EXPECT_LE(active, group.max_size()) << "group " << group_id;
    // Waitlist positions are 1..n, each once, and only behind a full group.
    std::sort(positions.begin(), positions.end());
    for (size_t i = 0; i < positions.size(); ++i) EXPECT_EQ(positions[i], static_cast<int>(i + 1)) << group_id;
    if (!positions.empty()) EXPECT_EQ(active, group.max_size()) << "waitlist behind a group with free seats";
  }
}

// A one-off session of a group at the time of one of the group's own
// sessions puts its facilitator, room and clients in two sessions at once.
TEST_F(BookingInvariantsDrill, OneOffOverlappingItsOwnGroupsSessionIsRefused) {
  v1::Group group;
  ASSERT_TRUE(stub_->CreateGroup(WithToken(admin_).get(), WeeklyGroup("Own", "2031-02-03", "2031-02-16"), &group).ok());
  v1::CreateSessionRequest req;
  req.mutable_session()->set_group_id(group.id());
  *req.mutable_session()->mutable_start_time() = At(absl::CivilMinute(2031, 2, 3, 13, 30));  // Monday
  *req.mutable_session()->mutable_end_time() = At(absl::CivilMinute(2031, 2, 3, 14, 30));
  v1::Session one_off;
  grpc::Status s = stub_->CreateSession(WithToken(admin_).get(), req, &one_off);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("FACILITATOR_CONFLICT"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("ROOM_CONFLICT"), std::string::npos) << s.error_message();
}

// Moving a group's recurrence onto the time of its own one-off session.
TEST_F(BookingInvariantsDrill, MovingAGroupOntoItsOwnOneOffIsRefused) {
  v1::Group group;
  ASSERT_TRUE(stub_->CreateGroup(WithToken(admin_).get(), WeeklyGroup("Own", "2031-02-03", "2031-02-16"), &group).ok());
  v1::CreateSessionRequest req;
  req.mutable_session()->set_group_id(group.id());
  *req.mutable_session()->mutable_start_time() = At(absl::CivilMinute(2031, 2, 3, 9, 0));  // Monday morning
  *req.mutable_session()->mutable_end_time() = At(absl::CivilMinute(2031, 2, 3, 10, 0));
  v1::Session one_off;
  grpc::Status s = stub_->CreateSession(WithToken(admin_).get(), req, &one_off);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::UpdateGroupRequest move;
  move.mutable_group()->set_id(group.id());
  move.mutable_group()->set_etag(group.etag());
  move.mutable_group()->mutable_recurrence()->set_start_local_time("09:30");
  move.mutable_update_mask()->add_paths("recurrence.start_local_time");
  v1::Group moved;
  s = stub_->UpdateGroup(WithToken(admin_).get(), move, &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("FACILITATOR_CONFLICT"), std::string::npos) << s.error_message();
}

// A group that collides with a half-year of another group's sessions is
// refused with one violation per colliding session and resource, all in the
// message and in grpc-status-details-bin. A client with gRPC's default
// metadata limit (8 KiB, as C++ and Java clients have) must still receive
// FAILED_PRECONDITION.
TEST_F(BookingInvariantsDrill, ConflictRefusalFitsTheDefaultClientMetadataLimit) {
  v1::Group first;
  ASSERT_TRUE(stub_->CreateGroup(WithToken(admin_).get(), WeeklyGroup("First", "2031-01-06", "2031-06-29"), &first)
                  .ok());
  auto default_client = v1::SchedulingService::NewStub(service_->Channel());
  v1::Group second;
  grpc::Status s =
      default_client->CreateGroup(WithToken(admin_).get(), WeeklyGroup("Second", "2031-01-06", "2031-06-29"), &second);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("FACILITATOR_CONFLICT"), std::string::npos) << s.error_message();
  // Every conflict is counted; the first ones are named, the rest summarized.
  EXPECT_NE(s.error_message().find("more conflicting session(s) not listed"), std::string::npos);
}

}  // namespace
}  // namespace iop::drills
