// Enrollment end to end: seats under concurrency, the waitlist, rosters
// through the cache, client double-booking, intensity and auditing.
#include <thread>

#include "scheduling/api/schedule_fixture.h"

namespace iop::scheduling {
namespace {

class EnrollmentTest : public ScheduleTest {
 protected:
  grpc::Status Enroll(const std::string& token, const std::string& group, const std::string& client,
                      v1::Membership* out, const std::string& start = "", const std::string& request_id = "") {
    v1::EnrollClientRequest r;
    r.set_group_id(group);
    r.set_client_id(client);
    r.set_start_date(start);
    r.set_request_id(request_id);
    return stub_->EnrollClient(WithToken(token).get(), r, out);
  }
  v1::DischargeClientResponse Discharge(const std::string& token, const std::string& group,
                                        const std::string& client, const std::string& end) {
    v1::DischargeClientRequest r;
    r.set_group_id(group);
    r.set_client_id(client);
    r.set_end_date(end);
    r.set_discharge_type(v1::DISCHARGE_TYPE_COMPLETED);
    v1::DischargeClientResponse out;
    grpc::Status s = stub_->DischargeClient(WithToken(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  std::vector<std::string> Roster(const std::string& token, const std::string& session_id) {
    v1::GetSessionRosterRequest r;
    r.set_session_id(session_id);
    v1::GetSessionRosterResponse out;
    grpc::Status s = stub_->GetSessionRoster(WithToken(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& e : out.entries()) ids.push_back(e.client_id());
    return ids;
  }
};

TEST_F(EnrollmentTest, ConcurrentEnrollmentsForTheLastSeatSeatExactlyOne) {
  Org o = NewOrg();
  v1::Group g = NewGroup(o, {.max_size = 3});
  for (int i = 0; i < 2; ++i) {
    v1::Membership m;
    ASSERT_TRUE(Enroll(o.admin, g.id(), NewClient(o.admin, o.site.id(), "Early " + std::to_string(i)).id(), &m).ok());
    EXPECT_EQ(m.status(), v1::MEMBERSHIP_STATUS_ACTIVE);
  }
  constexpr int kRacers = 8;
  std::vector<std::string> clients;
  for (int i = 0; i < kRacers; ++i) clients.push_back(NewClient(o.admin, o.site.id(), "Racer " + std::to_string(i)).id());
  std::vector<v1::Membership> results(kRacers);
  std::vector<grpc::Status> statuses(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::SchedulingService::NewStub(service_->Channel());
      v1::EnrollClientRequest r;
      r.set_group_id(g.id());
      r.set_client_id(clients[i]);
      statuses[i] = stub->EnrollClient(WithToken(o.admin).get(), r, &results[i]);
    });
  }
  for (auto& t : threads) t.join();
  int active = 0;
  std::set<int> positions;
  for (int i = 0; i < kRacers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    if (results[i].status() == v1::MEMBERSHIP_STATUS_ACTIVE) ++active;
  }
  EXPECT_EQ(active, 1);
  v1::ListMembershipsRequest list;
  list.set_group_id(g.id());
  list.set_status(v1::MEMBERSHIP_STATUS_WAITLISTED);
  v1::ListMembershipsResponse waiting;
  ASSERT_TRUE(stub_->ListMemberships(WithToken(o.admin).get(), list, &waiting).ok());
  ASSERT_EQ(waiting.memberships_size(), kRacers - 1);
  for (int i = 0; i < waiting.memberships_size(); ++i) EXPECT_EQ(waiting.memberships(i).waitlist_position(), i + 1);
}

TEST_F(EnrollmentTest, DischargePromotesTheWaitlistInOrderAndRostersFollowDates) {
  Org o = NewOrg();
  v1::Group g = NewGroup(o, {.weekdays = {1}, .max_size = 1});  // Mondays Jan 7, 14, 21 2030
  v1::Client first = NewClient(o.admin, o.site.id(), "Ann");
  v1::Client second = NewClient(o.admin, o.site.id(), "Ben");
  v1::Client third = NewClient(o.admin, o.site.id(), "Cy");
  v1::Membership m1, m2, m3;
  ASSERT_TRUE(Enroll(o.admin, g.id(), first.id(), &m1).ok());
  ASSERT_TRUE(Enroll(o.admin, g.id(), second.id(), &m2).ok());
  ASSERT_TRUE(Enroll(o.admin, g.id(), third.id(), &m3).ok());
  EXPECT_EQ(m1.start_date(), "2030-01-07");  // the group's first day, as today is earlier
  EXPECT_EQ(m2.status(), v1::MEMBERSHIP_STATUS_WAITLISTED);
  EXPECT_EQ(m2.waitlist_position(), 1);
  EXPECT_EQ(m3.waitlist_position(), 2);
  v1::Membership dup;
  EXPECT_EQ(Enroll(o.admin, g.id(), second.id(), &dup).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  const std::string jan7 = g.id() + "_20300107", jan14 = g.id() + "_20300114", jan21 = g.id() + "_20300121";
  EXPECT_EQ(Roster(o.admin, jan14), std::vector<std::string>{first.id()});  // cached from here on
  auto out = Discharge(o.admin, g.id(), first.id(), "2030-01-10");
  EXPECT_EQ(out.membership().status(), v1::MEMBERSHIP_STATUS_DISCHARGED);
  EXPECT_EQ(out.membership().end_date(), "2030-01-10");
  ASSERT_TRUE(out.has_promoted());
  EXPECT_EQ(out.promoted().client_id(), second.id());  // first in line, not the last
  EXPECT_EQ(out.promoted().start_date(), "2030-01-11");
  // Past sessions keep their roster; later ones show the promoted client.
  EXPECT_EQ(Roster(o.admin, jan7), std::vector<std::string>{first.id()});
  EXPECT_EQ(Roster(o.admin, jan14), std::vector<std::string>{second.id()});

  v1::ListMembershipsRequest list;
  list.set_group_id(g.id());
  v1::ListMembershipsResponse all;
  ASSERT_TRUE(stub_->ListMemberships(WithToken(o.admin).get(), list, &all).ok());
  ASSERT_EQ(all.memberships_size(), 3);
  EXPECT_EQ(all.memberships(0).client_id(), second.id());  // active
  EXPECT_EQ(all.memberships(1).client_id(), third.id());   // waitlisted, now first
  EXPECT_EQ(all.memberships(1).waitlist_position(), 1);
  EXPECT_EQ(all.memberships(2).client_id(), first.id());   // discharged

  out = Discharge(o.admin, g.id(), second.id(), "2030-01-15");
  ASSERT_TRUE(out.has_promoted());
  EXPECT_EQ(out.promoted().client_id(), third.id());
  EXPECT_EQ(Roster(o.admin, jan21), std::vector<std::string>{third.id()});
  EXPECT_EQ(Roster(o.admin, jan14), std::vector<std::string>{second.id()});
  v1::DischargeClientRequest again;
  again.set_group_id(g.id());
  again.set_client_id(second.id());
  v1::DischargeClientResponse none;
  grpc::Status s = stub_->DischargeClient(WithToken(o.admin).get(), again, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{{"NOT_ENROLLED", second.id()}}));
}

// Waiting does not hold the client's hours, so a waitlisted client may take
// a seat elsewhere at the same time; a freed seat then goes to the next
// client in line instead of double-booking that one.
TEST_F(EnrollmentTest, PromotionSkipsAWaitlistedClientBookedElsewhereMeanwhile) {
  Org o = NewOrg();
  v1::Group a = NewGroup(o, {.weekdays = {1}, .facilitators = {o.staff.id()}, .room = o.room.id(), .max_size = 1, .name = "A"});
  v1::Group b = NewGroup(o, {.weekdays = {1}, .facilitators = {o.staff2.id()}, .room = o.room2.id(), .name = "B"});
  v1::Client ann = NewClient(o.admin, o.site.id(), "Ann");
  v1::Client ben = NewClient(o.admin, o.site.id(), "Ben");
  v1::Client cy = NewClient(o.admin, o.site.id(), "Cy");
  v1::Membership m;
  ASSERT_TRUE(Enroll(o.admin, a.id(), ann.id(), &m).ok());
  ASSERT_TRUE(Enroll(o.admin, a.id(), ben.id(), &m).ok());
  EXPECT_EQ(m.status(), v1::MEMBERSHIP_STATUS_WAITLISTED);
  ASSERT_TRUE(Enroll(o.admin, a.id(), cy.id(), &m).ok());
  ASSERT_TRUE(Enroll(o.admin, b.id(), ben.id(), &m).ok());  // same Mondays, same hours
  EXPECT_EQ(m.status(), v1::MEMBERSHIP_STATUS_ACTIVE);

  auto out = Discharge(o.admin, a.id(), ann.id(), "2030-01-10");
  ASSERT_TRUE(out.has_promoted());
  EXPECT_EQ(out.promoted().client_id(), cy.id());
  const std::string jan14 = a.id() + "_20300114";
  EXPECT_EQ(Roster(o.admin, jan14), std::vector<std::string>{cy.id()});

  // More seats: Ben still cannot take one while he sits in B at that hour.
  v1::UpdateGroupRequest up;
  up.mutable_group()->set_id(a.id());
  up.mutable_group()->set_max_size(4);
  up.mutable_update_mask()->add_paths("max_size");
  v1::Group grown;
  grpc::Status s = stub_->UpdateGroup(WithToken(o.admin).get(), up, &grown);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ListMembershipsRequest list;
  list.set_group_id(a.id());
  list.set_status(v1::MEMBERSHIP_STATUS_WAITLISTED);
  v1::ListMembershipsResponse waiting;
  ASSERT_TRUE(stub_->ListMemberships(WithToken(o.admin).get(), list, &waiting).ok());
  ASSERT_EQ(waiting.memberships_size(), 1);
  EXPECT_EQ(waiting.memberships(0).client_id(), ben.id());
  EXPECT_EQ(waiting.memberships(0).waitlist_position(), 1);

  // Once Ben leaves B, the next freed seat can go to him.
  Discharge(o.admin, b.id(), ben.id(), "2030-01-10");
  out = Discharge(o.admin, a.id(), cy.id(), "2030-01-17");
  ASSERT_TRUE(out.has_promoted());
  EXPECT_EQ(out.promoted().client_id(), ben.id());
  EXPECT_EQ(out.promoted().start_date(), "2030-01-18");
}

TEST_F(EnrollmentTest, EnrolledClientsCannotBeDoubleBooked) {
  Org o = NewOrg();
  v1::Group a = NewGroup(o, {.weekdays = {1, 3}, .facilitators = {o.staff.id()}, .room = o.room.id(), .name = "A"});
  v1::Group b = NewGroup(o, {.weekdays = {3, 5}, .start = "11:00", .facilitators = {o.staff2.id()}, .room = o.room2.id(), .name = "B"});
  v1::Client john = NewClient(o.admin, o.site.id(), "John D.");
  v1::Membership m;
  ASSERT_TRUE(Enroll(o.admin, a.id(), john.id(), &m).ok());
  const double before = Counter("iop_scheduling_conflicts_rejected_total", "kind", "client");
  grpc::Status s = Enroll(o.admin, b.id(), john.id(), &m);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  std::vector<std::pair<std::string, std::string>> want;
  for (const char* day : {"_20300109", "_20300116", "_20300123"}) {
    want.emplace_back("CLIENT_CONFLICT", a.id() + day);
    EXPECT_NE(s.error_message().find(a.id() + day), std::string::npos);
  }
  EXPECT_EQ(Violations(s), want);
  EXPECT_EQ(Counter("iop_scheduling_conflicts_rejected_total", "kind", "client"), before + 1);
  // Joining after A's last Wednesday is fine.
  ASSERT_TRUE(Enroll(o.admin, b.id(), john.id(), &m, "2030-01-24").ok());
  // Adding Fridays to A would put John in two rooms on Friday Jan 25.
  v1::UpdateGroupRequest up;
  up.mutable_group()->set_id(a.id());
  for (auto d : {iop::common::v1::WEEKDAY_MONDAY, iop::common::v1::WEEKDAY_WEDNESDAY, iop::common::v1::WEEKDAY_FRIDAY}) {
    up.mutable_group()->mutable_recurrence()->add_weekdays(d);
  }
  up.mutable_update_mask()->add_paths("recurrence.weekdays");
  v1::Group out;
  s = stub_->UpdateGroup(WithToken(o.admin).get(), up, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{{"CLIENT_CONFLICT", b.id() + "_20300125"}}));
  // John's own schedule lists both groups' sessions on his dates only.
  v1::ListSessionsRequest mine;
  mine.set_client_id(john.id());
  auto sessions = Sessions(o.admin, mine, absl::CivilDay(2030, 1, 1), absl::CivilDay(2030, 2, 1));
  EXPECT_EQ(sessions.size(), 6u + 1u);  // A: 6; B: Friday Jan 25 only
  // Age groups must match.
  v1::Client teen = NewClient(o.admin, o.site.id(), "Teen", v1::AGE_GROUP_ADOLESCENT);
  s = Enroll(o.admin, a.id(), teen.id(), &m);
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{{"AGE_GROUP_MISMATCH", teen.id()}}));
}

TEST_F(EnrollmentTest, IntensityCountsScheduledHoursAgainstTheProgram) {
  Org o = NewOrg();
  // Mon, Wed, Fri 3 hours: 9 hours a week, the adult minimum.
  v1::Group g = NewGroup(o, {.weekdays = {1, 3, 5}, .minutes = 180, .ends_on = "2030-03-01"});
  v1::Client maria = NewClient(o.admin, o.site.id(), "Maria S.");
  v1::GetClientIntensityRequest r;
  r.set_client_id(maria.id());
  r.set_week_start("2030-01-14");
  v1::GetClientIntensityResponse out;
  grpc::Status s = stub_->GetClientIntensity(WithToken(o.admin).get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);  // never enrolled
  v1::Membership m;
  ASSERT_TRUE(Enroll(o.admin, g.id(), maria.id(), &m).ok());
  ASSERT_TRUE(stub_->GetClientIntensity(WithToken(o.admin).get(), r, &out).ok());
  EXPECT_DOUBLE_EQ(out.scheduled_hours(), 9);
  EXPECT_EQ(out.sessions_counted(), 3);
  EXPECT_EQ(out.min_weekly_hours(), 9);
  EXPECT_EQ(out.max_weekly_hours(), 19);
  EXPECT_EQ(out.status(), v1::INTENSITY_STATUS_WITHIN);
  v1::CancelSessionRequest cancel;
  cancel.set_id(g.id() + "_20300116");
  v1::Session c;
  ASSERT_TRUE(stub_->CancelSession(WithToken(o.admin).get(), cancel, &c).ok());
  ASSERT_TRUE(stub_->GetClientIntensity(WithToken(o.admin).get(), r, &out).ok());
  EXPECT_DOUBLE_EQ(out.scheduled_hours(), 6);
  EXPECT_EQ(out.status(), v1::INTENSITY_STATUS_BELOW);
  r.set_week_start("2030-14-01");
  s = stub_->GetClientIntensity(WithToken(o.admin).get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("week_start"), std::string::npos);
}

// Intensity is the client's whole week, so hours at every site count; but a
// site-limited caller is not told which programs at other sites they are.
TEST_F(EnrollmentTest, IntensityNamesOnlyProgramsAtTheCallersSites) {
  Org o = NewOrg();
  Org east = o;
  east.site = NewSite(o.admin, "America/New_York", "East");
  east.program = NewProgram(o.admin, east.site.id());
  v1::Group main_group = NewGroup(o, {.weekdays = {1}, .minutes = 180, .ends_on = "2030-03-01"});
  v1::Group east_group = NewGroup(east, {.weekdays = {3}, .minutes = 180, .ends_on = "2030-03-01"});
  v1::Client maria = NewClient(o.admin, o.site.id(), "Maria S.");
  v1::Membership m;
  ASSERT_TRUE(Enroll(o.admin, main_group.id(), maria.id(), &m).ok());
  ASSERT_TRUE(Enroll(o.admin, east_group.id(), maria.id(), &m).ok());
  v1::GetClientIntensityRequest r;
  r.set_client_id(maria.id());
  r.set_week_start("2030-01-14");
  v1::GetClientIntensityResponse all, main_only;
  ASSERT_TRUE(stub_->GetClientIntensity(WithToken(o.admin).get(), r, &all).ok());
  EXPECT_DOUBLE_EQ(all.scheduled_hours(), 6);
  EXPECT_EQ(all.program_ids_size(), 2);
  const std::string main_staff = Token(o.id, "clinician", {o.site.id()});
  grpc::Status s = stub_->GetClientIntensity(WithToken(main_staff).get(), r, &main_only);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_DOUBLE_EQ(main_only.scheduled_hours(), 6);
  EXPECT_EQ(main_only.min_weekly_hours(), all.min_weekly_hours());
  EXPECT_EQ(std::vector<std::string>(main_only.program_ids().begin(), main_only.program_ids().end()),
            std::vector<std::string>{o.program.id()});
}

TEST_F(EnrollmentTest, RetriedEnrollmentIsAppliedOnceAndAudited) {
  Org o = NewOrg();
  v1::Group g = NewGroup(o, {.max_size = 1});
  v1::Client john = NewClient(o.admin, o.site.id(), "John D.");
  v1::Membership first, again;
  ASSERT_TRUE(Enroll(o.admin, g.id(), john.id(), &first, "", "enroll-1").ok());
  ASSERT_TRUE(Enroll(o.admin, g.id(), john.id(), &again, "", "enroll-1").ok());
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(again.status(), v1::MEMBERSHIP_STATUS_ACTIVE);
  v1::ListMembershipsRequest list;
  list.set_client_id(john.id());
  v1::ListMembershipsResponse mine;
  ASSERT_TRUE(stub_->ListMemberships(WithToken(o.admin).get(), list, &mine).ok());
  EXPECT_EQ(mine.memberships_size(), 1);
  iop::common::v1::ListAuditEventsRequest audit;
  audit.set_resource_id(john.id());
  iop::common::v1::ListAuditEventsResponse events;
  ASSERT_TRUE(stub_->ListAuditEvents(WithToken(Token(o.id, "auditor")).get(), audit, &events).ok());
  std::set<std::string> methods;
  for (const auto& e : events.audit_events()) methods.insert(e.method().substr(e.method().rfind('/') + 1));
  EXPECT_TRUE(methods.count("EnrollClient"));
  EXPECT_TRUE(methods.count("ListMemberships"));
}

}  // namespace
}  // namespace iop::scheduling
