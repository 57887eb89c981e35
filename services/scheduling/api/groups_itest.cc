// Groups and sessions end to end against real PostgreSQL and Redis: time
// zones, conflicts, etags, tenancy, caching and paging.
#include "scheduling/api/schedule_fixture.h"

namespace iop::scheduling {
namespace {

class GroupsTest : public ScheduleTest {};

using absl::CivilDay;
using absl::CivilMinute;

google::protobuf::Timestamp Utc(int y, int mo, int d, int h, int mi) {
  return ScheduleTest::Ts(CivilMinute(y, mo, d, h, mi));
}

TEST_F(GroupsTest, DaylightSavingKeepsLocalTimeInNewYorkAndBerlin) {
  struct Case {
    const char* zone;
    CivilDay before, change, after;
    int utc_before, utc_change, utc_after;  // UTC hour of 09:00 local
    std::string gap_local;                  // 02:30 on the change day, as held
    google::protobuf::Timestamp gap_utc;
  };
  const Case cases[] = {
      {"America/New_York", CivilDay(2024, 3, 3), CivilDay(2024, 3, 10), CivilDay(2024, 3, 17), 14, 13, 13, "03:00", Utc(2024, 3, 10, 7, 0)},
      {"America/New_York", CivilDay(2024, 10, 27), CivilDay(2024, 11, 3), CivilDay(2024, 11, 10), 13, 14, 14, "02:30", Utc(2024, 11, 3, 7, 30)},
      {"Europe/Berlin", CivilDay(2024, 3, 24), CivilDay(2024, 3, 31), CivilDay(2024, 4, 7), 8, 7, 7, "03:00", Utc(2024, 3, 31, 1, 0)},
      {"Europe/Berlin", CivilDay(2024, 10, 20), CivilDay(2024, 10, 27), CivilDay(2024, 11, 3), 7, 8, 8, "02:30", Utc(2024, 10, 27, 0, 30)},
  };
  for (const auto& c : cases) {
    Org o = NewOrg(c.zone);
    GroupSpec nine{.weekdays = {7}, .start = "09:00", .minutes = 180,
                   .starts_on = domain::FormatDate(c.before), .ends_on = domain::FormatDate(c.after)};
    v1::Group g = NewGroup(o, nine);
    auto sessions = GroupSessions(o.admin, g.id(), c.before - 1, c.after + 1);
    ASSERT_EQ(sessions.size(), 3u) << c.zone;
    const CivilDay days[] = {c.before, c.change, c.after};
    const int hours[] = {c.utc_before, c.utc_change, c.utc_after};
    for (int i = 0; i < 3; ++i) {
      const auto& s = sessions[i];
      EXPECT_EQ(s.local_date(), domain::FormatDate(days[i])) << c.zone;
      EXPECT_EQ(s.local_start_time(), "09:00") << c.zone << " " << s.local_date();
      EXPECT_EQ(s.start_time().seconds(), Utc(days[i].year(), days[i].month(), days[i].day(), hours[i], 0).seconds())
          << c.zone << " " << s.local_date();
      EXPECT_EQ(s.end_time().seconds() - s.start_time().seconds(), 180 * 60);
    }
    // 02:30 on the change day: skipped in spring (starts when the clock lands
    // at 03:00), repeated in autumn (the first 02:30 / 01:30 is used).
    GroupSpec night{.weekdays = {7}, .start = std::string(c.zone)[0] == 'A' && c.change.month() == 11 ? "01:30" : "02:30",
                    .minutes = 60, .starts_on = domain::FormatDate(c.change), .ends_on = domain::FormatDate(c.change),
                    .name = "Night"};
    v1::Group n = NewGroup(o, night);
    auto at_night = GroupSessions(o.admin, n.id(), c.change - 1, c.change + 1);
    ASSERT_EQ(at_night.size(), 1u);
    if (night.start == "01:30") {
      EXPECT_EQ(at_night[0].start_time().seconds(), Utc(2024, 11, 3, 5, 30).seconds());  // EDT, not EST
      EXPECT_EQ(at_night[0].local_start_time(), "01:30");
    } else {
      EXPECT_EQ(at_night[0].start_time().seconds(), c.gap_utc.seconds()) << c.zone;
      EXPECT_EQ(at_night[0].local_start_time(), c.gap_local) << c.zone;
    }
  }
}

TEST_F(GroupsTest, InvalidInputsNameTheField) {
  Org o = NewOrg();
  v1::CreateSiteRequest site;
  site.mutable_site()->set_display_name("Nowhere");
  site.mutable_site()->set_time_zone("Mars/Olympus_Mons");
  v1::Site bad_site;
  grpc::Status s = stub_->CreateSite(WithToken(o.admin).get(), site, &bad_site);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("site.time_zone"), std::string::npos);

  struct Bad {
    std::function<void(v1::CreateGroupRequest&)> change;
    std::string field;
  };
  const Bad cases[] = {
      {[](auto& r) { r.mutable_group()->mutable_recurrence()->set_ends_on("2030-01-01"); }, "group.recurrence.ends_on"},
      {[](auto& r) { r.mutable_group()->mutable_recurrence()->set_start_local_time("25:00"); }, "group.recurrence.start_local_time"},
      {[](auto& r) { r.mutable_group()->mutable_recurrence()->clear_weekdays(); }, "group.recurrence.weekdays"},
      {[](auto& r) { r.mutable_group()->set_min_size(8); r.mutable_group()->set_max_size(6); }, "group.max_size"},
      {[](auto& r) { r.mutable_group()->mutable_recurrence()->set_starts_on("2030-02-30"); }, "group.recurrence.starts_on"},
      {[](auto& r) { r.mutable_group()->mutable_recurrence()->set_duration_minutes(5); }, "group.recurrence.duration_minutes"},
  };
  for (const auto& c : cases) {
    v1::CreateGroupRequest r = GroupRequest(o, {});
    c.change(r);
    v1::Group g;
    s = TryGroup(o.admin, r, &g);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(s.error_message().find(c.field), std::string::npos) << s.error_message();
  }
  v1::CreateGroupRequest r = GroupRequest(o, {});
  r.mutable_group()->mutable_recurrence()->set_ends_on("2029-12-31");
  v1::Group g;
  EXPECT_NE(TryGroup(o.admin, r, &g).error_message().find("end before start"), std::string::npos);
  // Defaults: 6 and 12, max capped by a smaller room.
  g = NewGroup(o, {});
  EXPECT_EQ(g.min_size(), 6);
  EXPECT_EQ(g.max_size(), 12);
  v1::Room small = NewRoom(o.admin, o.site.id(), 8, "Small");
  g = NewGroup(o, {.starts_on = "2031-01-06", .ends_on = "2031-01-06", .room = small.id()});
  EXPECT_EQ(g.max_size(), 8);
  s = TryGroup(o.admin, GroupRequest(o, {.starts_on = "2032-01-05", .ends_on = "2032-01-05", .room = small.id(), .max_size = 10}), &g);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{{"ROOM_CAPACITY", small.id()}}));
}

TEST_F(GroupsTest, FacilitatorAndRoomConflictsListEverySession) {
  Org o = NewOrg();
  // Mon + Wed 10:00-12:00 for three weeks.
  v1::Group a = NewGroup(o, {.weekdays = {1, 3}, .facilitators = {o.staff.id()}, .room = o.room.id(), .name = "A"});
  const double before = Counter("iop_scheduling_conflicts_rejected_total", "kind", "facilitator");
  // Mondays 11:00 with the same facilitator, another room: each Monday collides.
  v1::Group b;
  grpc::Status s = TryGroup(o.admin, GroupRequest(o, {.start = "11:00", .facilitators = {o.staff.id()}, .room = o.room2.id()}), &b);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const std::vector<std::string> mondays = {a.id() + "_20300107", a.id() + "_20300114", a.id() + "_20300121"};
  std::vector<std::pair<std::string, std::string>> want;
  for (const auto& id : mondays) {
    want.emplace_back("FACILITATOR_CONFLICT", id);
    EXPECT_NE(s.error_message().find(id), std::string::npos) << s.error_message();
  }
  EXPECT_EQ(Violations(s), want);
  EXPECT_EQ(Counter("iop_scheduling_conflicts_rejected_total", "kind", "facilitator"), before + 1);
  // Same room, other facilitator, Wednesdays only: ROOM_CONFLICT per Wednesday.
  s = TryGroup(o.admin, GroupRequest(o, {.weekdays = {3}, .start = "09:00", .facilitators = {o.staff2.id()}, .room = o.room.id()}), &b);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{
                               {"ROOM_CONFLICT", a.id() + "_20300109"}, {"ROOM_CONFLICT", a.id() + "_20300116"},
                               {"ROOM_CONFLICT", a.id() + "_20300123"}}));
  // Nothing was half-written: no group B exists.
  v1::ListGroupsResponse groups;
  ASSERT_TRUE(stub_->ListGroups(WithToken(o.admin).get(), {}, &groups).ok());
  EXPECT_EQ(groups.groups_size(), 1);
  // Right after A ends there is no conflict.
  EXPECT_TRUE(TryGroup(o.admin, GroupRequest(o, {.start = "12:00", .facilitators = {o.staff.id()}, .room = o.room.id()}), &b).ok());
  // A one-off and a reschedule onto A's time collide too.
  v1::CreateSessionRequest one;
  one.mutable_session()->set_group_id(b.id());
  *one.mutable_session()->mutable_start_time() = Utc(2030, 1, 9, 16, 0);  // Wed 11:00 EST
  *one.mutable_session()->mutable_end_time() = Utc(2030, 1, 9, 17, 0);
  v1::Session out;
  s = stub_->CreateSession(WithToken(o.admin).get(), one, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s), (std::vector<std::pair<std::string, std::string>>{
                               {"FACILITATOR_CONFLICT", a.id() + "_20300109"}, {"ROOM_CONFLICT", a.id() + "_20300109"}}));
  v1::RescheduleSessionRequest move;
  move.set_id(b.id() + "_20300107");
  *move.mutable_start_time() = Utc(2030, 1, 16, 15, 0);  // Wed 10:00 EST, where A meets
  s = stub_->RescheduleSession(WithToken(o.admin).get(), move, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Violations(s).size(), 2u);
}

TEST_F(GroupsTest, SessionsKeepStableIdsThroughCancelAndReschedule) {
  Org o = NewOrg();
  v1::Group g = NewGroup(o, {.weekdays = {1, 3}, .facilitators = {o.staff.id()}, .room = o.room.id()});
  auto first = GroupSessions(o.admin, g.id(), CivilDay(2030, 1, 1), CivilDay(2030, 2, 1));
  auto again = GroupSessions(o.admin, g.id(), CivilDay(2030, 1, 1), CivilDay(2030, 2, 1));
  ASSERT_EQ(first.size(), 6u);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].id(), again[i].id());

  v1::CancelSessionRequest cancel;
  cancel.set_id(first[1].id());
  cancel.set_reason("holiday");
  v1::Session cancelled;
  ASSERT_TRUE(stub_->CancelSession(WithToken(o.admin).get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.id(), first[1].id());
  EXPECT_EQ(cancelled.status(), v1::SESSION_STATUS_CANCELLED);

  v1::RescheduleSessionRequest move;
  move.set_id(first[0].id());
  *move.mutable_start_time() = Utc(2030, 1, 8, 19, 0);  // Tuesday 14:00 EST
  move.set_duration_minutes(90);
  v1::Session moved;
  ASSERT_TRUE(stub_->RescheduleSession(WithToken(o.admin).get(), move, &moved).ok());
  EXPECT_EQ(moved.id(), first[0].id());
  EXPECT_TRUE(moved.rescheduled());
  EXPECT_EQ(moved.original_start_time().seconds(), first[0].start_time().seconds());
  EXPECT_EQ(moved.local_date(), "2030-01-08");
  EXPECT_EQ(moved.local_start_time(), "14:00");

  auto after = GroupSessions(o.admin, g.id(), CivilDay(2030, 1, 1), CivilDay(2030, 2, 1));
  ASSERT_EQ(after.size(), 6u);
  EXPECT_EQ(after[0].id(), first[0].id());  // Tuesday now, still first
  EXPECT_EQ(after[1].status(), v1::SESSION_STATUS_CANCELLED);
  EXPECT_EQ(after[1].cancel_reason(), "holiday");
  v1::ListSessionsRequest scheduled_only;
  scheduled_only.set_group_id(g.id());
  scheduled_only.set_status(v1::SESSION_STATUS_SCHEDULED);
  EXPECT_EQ(Sessions(o.admin, scheduled_only, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1)).size(), 5u);
  // Cancelling again returns it unchanged; rescheduling it is refused.
  ASSERT_TRUE(stub_->CancelSession(WithToken(o.admin).get(), cancel, &cancelled).ok());
  move.set_id(first[1].id());
  EXPECT_EQ(stub_->RescheduleSession(WithToken(o.admin).get(), move, &moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A one-off joins the list with its own stable id.
  v1::CreateSessionRequest one;
  one.mutable_session()->set_group_id(g.id());
  *one.mutable_session()->mutable_start_time() = Utc(2030, 1, 11, 15, 0);
  *one.mutable_session()->mutable_end_time() = Utc(2030, 1, 11, 16, 0);
  v1::Session extra;
  ASSERT_TRUE(stub_->CreateSession(WithToken(o.admin).get(), one, &extra).ok());
  EXPECT_TRUE(extra.one_off());
  EXPECT_EQ(extra.room_id(), o.room.id());
  v1::GetSessionRequest get;
  get.set_id(extra.id());
  v1::Session got;
  ASSERT_TRUE(stub_->GetSession(WithToken(o.admin).get(), get, &got).ok());
  EXPECT_EQ(got.start_time().seconds(), extra.start_time().seconds());
  EXPECT_EQ(GroupSessions(o.admin, g.id(), CivilDay(2030, 1, 1), CivilDay(2030, 2, 1)).size(), 7u);
  // Only within the group's dates (Jan 7 to Jan 27 in New York).
  for (int day : {6, 28}) {
    *one.mutable_session()->mutable_start_time() = Utc(2030, 1, day, 15, 0);
    *one.mutable_session()->mutable_end_time() = Utc(2030, 1, day, 16, 0);
    grpc::Status outside = stub_->CreateSession(WithToken(o.admin).get(), one, &extra);
    EXPECT_EQ(outside.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << day;
    EXPECT_EQ(Violations(outside), (std::vector<std::pair<std::string, std::string>>{{"OUTSIDE_GROUP_DATES", g.id()}}));
  }
  *one.mutable_session()->mutable_start_time() = Utc(2030, 1, 27, 15, 0);
  *one.mutable_session()->mutable_end_time() = Utc(2030, 1, 27, 16, 0);
  EXPECT_TRUE(stub_->CreateSession(WithToken(o.admin).get(), one, &extra).ok()) << "the last day is inside";
}

TEST_F(GroupsTest, PaginationVisitsEverySessionOnceWithTiedStarts) {
  Org o = NewOrg();
  // Two groups meeting at the same instants: ties on start_time.
  NewGroup(o, {.weekdays = {1, 2, 3, 4, 5}, .facilitators = {o.staff.id()}, .room = o.room.id(), .name = "A"});
  NewGroup(o, {.weekdays = {1, 2, 3, 4, 5}, .facilitators = {o.staff2.id()}, .room = o.room2.id(), .name = "B"});
  v1::ListSessionsRequest by_site;
  by_site.set_site_id(o.site.id());
  auto all = Sessions(o.admin, by_site, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1), 500);
  auto paged = Sessions(o.admin, by_site, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1), 4);
  ASSERT_EQ(all.size(), 30u);
  ASSERT_EQ(paged.size(), all.size());
  std::set<std::string> distinct;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(paged[i].id(), all[i].id());
    distinct.insert(all[i].id());
    if (i > 0) EXPECT_LE(all[i - 1].start_time().seconds(), all[i].start_time().seconds());
  }
  EXPECT_EQ(distinct.size(), all.size());
  // A token is bound to its filters.
  v1::ListSessionsRequest first_page = by_site;
  *first_page.mutable_start_time() = Ts(CivilMinute(2030, 1, 1, 0, 0));
  *first_page.mutable_end_time() = Ts(CivilMinute(2030, 2, 1, 0, 0));
  first_page.set_page_size(2);
  v1::ListSessionsResponse resp;
  ASSERT_TRUE(stub_->ListSessions(WithToken(o.admin).get(), first_page, &resp).ok());
  first_page.set_page_token(resp.next_page_token());
  first_page.clear_site_id();
  EXPECT_EQ(stub_->ListSessions(WithToken(o.admin).get(), first_page, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Groups page by display_name.
  v1::ListGroupsRequest groups;
  groups.set_page_size(1);
  v1::ListGroupsResponse page1, page2;
  ASSERT_TRUE(stub_->ListGroups(WithToken(o.admin).get(), groups, &page1).ok());
  groups.set_page_token(page1.next_page_token());
  ASSERT_TRUE(stub_->ListGroups(WithToken(o.admin).get(), groups, &page2).ok());
  ASSERT_EQ(page1.groups_size(), 1);
  ASSERT_EQ(page2.groups_size(), 1);
  EXPECT_EQ(page1.groups(0).display_name(), "A");
  EXPECT_EQ(page2.groups(0).display_name(), "B");
  EXPECT_TRUE(page2.next_page_token().empty());
}

TEST_F(GroupsTest, StaleEtagIsAbortedAndUpdatesAreReadBack) {
  Org o = NewOrg();
  v1::Group g = NewGroup(o, {.facilitators = {o.staff.id()}, .room = o.room.id()});
  v1::GetGroupRequest get;
  get.set_id(g.id());
  v1::Group cached;
  ASSERT_TRUE(stub_->GetGroup(WithToken(o.admin).get(), get, &cached).ok());  // now in the cache
  v1::UpdateGroupRequest up;
  up.mutable_group()->set_id(g.id());
  up.mutable_group()->set_etag(g.etag());
  up.mutable_group()->set_display_name("Renamed");
  up.mutable_update_mask()->add_paths("display_name");
  v1::Group updated;
  ASSERT_TRUE(stub_->UpdateGroup(WithToken(o.admin).get(), up, &updated).ok());
  EXPECT_EQ(updated.display_name(), "Renamed");
  EXPECT_NE(updated.etag(), g.etag());
  v1::Group read;
  ASSERT_TRUE(stub_->GetGroup(WithToken(o.admin).get(), get, &read).ok());
  EXPECT_EQ(read.display_name(), "Renamed");
  EXPECT_EQ(read.etag(), updated.etag());
  // The first etag is stale now.
  up.mutable_group()->set_display_name("Again");
  EXPECT_EQ(stub_->UpdateGroup(WithToken(o.admin).get(), up, &updated).error_code(), grpc::StatusCode::ABORTED);
  // Unknown or immutable mask paths are refused.
  up.mutable_group()->set_etag(read.etag());
  up.mutable_update_mask()->add_paths("program_id");
  grpc::Status s = stub_->UpdateGroup(WithToken(o.admin).get(), up, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("update_mask"), std::string::npos);
  // A recurrence change shows in the sessions (cached session read first).
  v1::GetSessionRequest gs;
  gs.set_id(g.id() + "_20300114");
  v1::Session before, after;
  ASSERT_TRUE(stub_->GetSession(WithToken(o.admin).get(), gs, &before).ok());
  EXPECT_EQ(before.local_start_time(), "10:00");
  v1::UpdateGroupRequest time;
  time.mutable_group()->set_id(g.id());
  time.mutable_group()->mutable_recurrence()->set_start_local_time("13:30");
  time.mutable_update_mask()->add_paths("recurrence.start_local_time");
  ASSERT_TRUE(stub_->UpdateGroup(WithToken(o.admin).get(), time, &updated).ok());
  ASSERT_TRUE(stub_->GetSession(WithToken(o.admin).get(), gs, &after).ok());
  EXPECT_EQ(after.id(), before.id());
  EXPECT_EQ(after.local_start_time(), "13:30");
  // Session cache: read, cancel, read.
  v1::CancelSessionRequest cancel;
  cancel.set_id(gs.id());
  v1::Session c;
  ASSERT_TRUE(stub_->CancelSession(WithToken(o.admin).get(), cancel, &c).ok());
  ASSERT_TRUE(stub_->GetSession(WithToken(o.admin).get(), gs, &after).ok());
  EXPECT_EQ(after.status(), v1::SESSION_STATUS_CANCELLED);
  // Programs: etag and mask.
  v1::UpdateProgramRequest prog;
  prog.mutable_program()->set_id(o.program.id());
  prog.mutable_program()->set_etag(o.program.etag());
  prog.mutable_program()->set_min_weekly_hours(10);
  prog.mutable_update_mask()->add_paths("min_weekly_hours");
  v1::Program p;
  ASSERT_TRUE(stub_->UpdateProgram(WithToken(o.admin).get(), prog, &p).ok());
  EXPECT_EQ(p.min_weekly_hours(), 10);
  EXPECT_EQ(p.max_weekly_hours(), 19);
  EXPECT_EQ(stub_->UpdateProgram(WithToken(o.admin).get(), prog, &p).error_code(), grpc::StatusCode::ABORTED);
  prog.mutable_program()->set_etag(p.etag());
  prog.mutable_program()->set_min_weekly_hours(25);
  s = stub_->UpdateProgram(WithToken(o.admin).get(), prog, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("program.max_weekly_hours"), std::string::npos);
  v1::GetProgramRequest gp;
  gp.set_id(o.program.id());
  ASSERT_TRUE(stub_->GetProgram(WithToken(o.admin).get(), gp, &p).ok());
  EXPECT_EQ(p.min_weekly_hours(), 10);
}

TEST_F(GroupsTest, OtherOrgsAndOtherSitesAreNotFoundEvenWhenCached) {
  Org a = NewOrg();
  v1::Group g = NewGroup(a, {.facilitators = {a.staff.id()}, .room = a.room.id()});
  const std::string session_id = g.id() + "_20300107";
  v1::GetGroupRequest gg;
  gg.set_id(g.id());
  v1::GetSessionRequest gs;
  gs.set_id(session_id);
  v1::GetSessionRosterRequest gr;
  gr.set_session_id(session_id);
  v1::Group group;
  v1::Session session;
  v1::GetSessionRosterResponse roster;
  ASSERT_TRUE(stub_->GetGroup(WithToken(a.admin).get(), gg, &group).ok());
  ASSERT_TRUE(stub_->GetSession(WithToken(a.admin).get(), gs, &session).ok());
  ASSERT_TRUE(stub_->GetSessionRoster(WithToken(a.admin).get(), gr, &roster).ok());
  const std::string other = Token(NewOrgId(), "admin");
  grpc::Status s = stub_->GetGroup(WithToken(other).get(), gg, &group);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "iop.scheduling.v1.Group \"" + g.id() + "\" not found");
  s = stub_->GetSession(WithToken(other).get(), gs, &session);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "iop.scheduling.v1.Session \"" + session_id + "\" not found");
  EXPECT_EQ(stub_->GetSessionRoster(WithToken(other).get(), gr, &roster).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::EnrollClientRequest enroll;
  enroll.set_group_id(g.id());
  enroll.set_client_id(NewClient(a.admin, a.site.id(), "X").id());
  v1::Membership m;
  EXPECT_EQ(stub_->EnrollClient(WithToken(other).get(), enroll, &m).error_code(), grpc::StatusCode::NOT_FOUND);
  // A session id that never existed answers the same way.
  gs.set_id(g.id() + "_20300108");  // a Tuesday: not an occurrence
  EXPECT_EQ(stub_->GetSession(WithToken(a.admin).get(), gs, &session).error_code(), grpc::StatusCode::NOT_FOUND);

  // Site-limited callers see only their sites' groups and sessions.
  v1::Site north = NewSite(a.admin, "America/Chicago", "North");
  v1::Staff north_staff = NewStaff(a.admin, north.id(), "Kim");
  v1::Program north_program = NewProgram(a.admin, north.id());
  Org at_north = a;
  at_north.program = north_program;
  NewGroup(at_north, {.facilitators = {north_staff.id()}, .name = "North group"});
  const std::string limited = Token(a.id, "clinician", {north.id()});
  v1::ListGroupsResponse groups;
  ASSERT_TRUE(stub_->ListGroups(WithToken(limited).get(), {}, &groups).ok());
  ASSERT_EQ(groups.groups_size(), 1);
  EXPECT_EQ(groups.groups(0).site_id(), north.id());
  EXPECT_EQ(stub_->GetGroup(WithToken(limited).get(), gg, &group).error_code(), grpc::StatusCode::NOT_FOUND);
  gs.set_id(session_id);
  EXPECT_EQ(stub_->GetSession(WithToken(limited).get(), gs, &session).error_code(), grpc::StatusCode::NOT_FOUND);
  for (const auto& s2 : Sessions(limited, {}, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1))) {
    EXPECT_EQ(s2.site_id(), north.id());
  }
  EXPECT_EQ(Sessions(limited, {}, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1)).size(), 3u);
  EXPECT_EQ(Sessions(a.admin, {}, CivilDay(2030, 1, 1), CivilDay(2030, 2, 1)).size(), 6u);
}

TEST_F(GroupsTest, RetriedCreateGroupIsAppliedOnce) {
  Org o = NewOrg();
  v1::CreateGroupRequest r = GroupRequest(o, {.facilitators = {o.staff.id()}, .room = o.room.id()});
  r.set_request_id("create-group-1");
  v1::Group first, again;
  ASSERT_TRUE(TryGroup(o.admin, r, &first).ok());
  // A repeat would conflict with the first group if it were applied again.
  ASSERT_TRUE(TryGroup(o.admin, r, &again).ok());
  EXPECT_EQ(first.id(), again.id());
  v1::ListGroupsResponse groups;
  ASSERT_TRUE(stub_->ListGroups(WithToken(o.admin).get(), {}, &groups).ok());
  EXPECT_EQ(groups.groups_size(), 1);
  r.mutable_group()->set_display_name("Different");
  EXPECT_EQ(TryGroup(o.admin, r, &again).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace iop::scheduling
