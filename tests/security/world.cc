#include "security/world.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/sql.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#ifdef IOP_SECURITY_HAS_ATTENDANCE
#include "iop/attendance/v1/attendance.grpc.pb.h"
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#endif

namespace iop::security {
namespace {

namespace sched = ::iop::scheduling::v1;
namespace curr = ::iop::curriculum::v1;
namespace common = ::iop::common::v1;

void Must(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    throw std::runtime_error("seeding failed at " + what + ": " + std::to_string(s.error_code()) + " " +
                             s.error_message());
  }
}

std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }

class Seeder {
 public:
  Seeder(Platform& p, const std::string& org)
      : org_(org),
        admin_(testing::Token(org, "admin", {}, "seeder")),
        sched_(sched::SchedulingService::NewStub(p.scheduling.Channel())),
        curr_(curr::CurriculumService::NewStub(p.curriculum.Channel()))
#ifdef IOP_SECURITY_HAS_ATTENDANCE
        ,
        att_(::iop::attendance::v1::AttendanceService::NewStub(p.attendance.Channel()))
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
        ,
        out_(::iop::outcomes::v1::OutcomesService::NewStub(p.outcomes.Channel()))
#endif
  {
    // The group's first Monday two weeks back: sessions in the past (with
    // attendance) and in the future (to cancel, move and plan).
    absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    first_monday_ = today - 14;
    while (absl::GetWeekday(first_monday_) != absl::Weekday::monday) --first_monday_;
  }

  // Org-wide things go into `place` too (copied by the caller to the org's other places).
  void SeedOrgWide(Place& place) {
    curr::CreateLessonRequest lr;
    auto* l = lr.mutable_lesson();
    l->set_title("Riding the wave");
    l->set_modality(common::MODALITY_DBT_SKILLS);
    l->set_module("Distress Tolerance");
    l->add_objectives("Name the urge without acting on it");
    for (int k = 1; k <= 5; ++k) {
      auto* ph = l->add_phases();
      ph->set_kind(static_cast<curr::PhaseKind>(k));
      ph->set_minutes(10);
    }
    curr::Lesson lesson;
    Must(curr_->CreateLesson(testing::WithToken(admin_).get(), lr, &lesson), "CreateLesson");
    place.lesson = lesson.id();

    curr::CreateTrackRequest tr;
    auto* t = tr.mutable_track();
    t->set_title("Distress tolerance basics");
    t->set_modality(common::MODALITY_DBT_SKILLS);
    t->set_rolling_admission(true);
    auto* m = t->add_modules();
    m->set_title("Distress Tolerance");
    m->add_lesson_ids(lesson.id());
    curr::Track track;
    Must(curr_->CreateTrack(testing::WithToken(admin_).get(), tr, &track), "CreateTrack");
    place.track = track.id();
  }

  void SeedSite(Place& place, const std::string& name) {
    place.org = org_;
    place.admin = admin_;
    sched::CreateSiteRequest sr;
    sr.mutable_site()->set_display_name(name);
    sr.mutable_site()->set_time_zone("America/New_York");
    sched::Site site;
    Must(sched_->CreateSite(Ctx().get(), sr, &site), "CreateSite");
    place.site = site.id();

    place.room = Room(place.site, "Room 1");
    place.room2 = Room(place.site, "Room 2");
    place.staff = Staff(place.site, "Dana");
    place.staff2 = Staff(place.site, "Lee");

    sched::CreateProgramRequest pr;
    auto* prog = pr.mutable_program();
    prog->set_site_id(place.site);
    prog->set_display_name("Adult IOP");
    prog->set_age_group(sched::AGE_GROUP_ADULT);
    prog->set_focus(sched::PROGRAM_FOCUS_MENTAL_HEALTH);
    sched::Program program;
    Must(sched_->CreateProgram(Ctx().get(), pr, &program), "CreateProgram");
    place.program = program.id();

    place.client = Client(place.site, "Client enrolled");
    place.discharge_client = Client(place.site, "Client to discharge");
    place.enroll_client = Client(place.site, "Client to enroll");

    place.starts_on = Day(first_monday_);
    place.ends_on = Day(first_monday_ + 41);
    place.week_start = place.starts_on;
    place.drill_weekday_day = Day(first_monday_ + 24);  // Thursday of the fourth week
    place.group = Group(place, common::WEEKDAY_MONDAY, place.staff, place.room, "Mindful Mondays");
    place.closable_group = Group(place, common::WEEKDAY_TUESDAY, place.staff2, place.room2, "Closing soon");
    Enroll(place.group, place.client, place.starts_on);
    Enroll(place.group, place.discharge_client, place.starts_on);

    sched::ListSessionsRequest lr;
    lr.set_group_id(place.group);
    *lr.mutable_start_time() = Ts(first_monday_);
    *lr.mutable_end_time() = Ts(first_monday_ + 42);
    sched::ListSessionsResponse sessions;
    Must(sched_->ListSessions(Ctx().get(), lr, &sessions), "ListSessions");
    if (sessions.sessions_size() < 5) throw std::runtime_error("expected 6 weekly sessions");
    place.session = sessions.sessions(0).id();
    place.checkin_session = sessions.sessions(1).id();
    place.cancel_session = sessions.sessions(3).id();
    place.reschedule_session = sessions.sessions(4).id();

    curr::PlanSessionsRequest plan;
    plan.set_group_id(place.group);
    plan.set_track_id(place.track);
    plan.set_start_date(place.starts_on);
    plan.set_end_date(place.ends_on);
    curr::PlanSessionsResponse planned;
    Must(curr_->PlanSessions(Ctx().get(), plan, &planned), "PlanSessions");

#ifdef IOP_SECURITY_HAS_ATTENDANCE
    namespace att = ::iop::attendance::v1;
    att::RecordAttendanceRequest rec;
    rec.set_session_id(place.session);
    auto* e = rec.add_entries();
    e->set_client_id(place.client);
    e->set_status(att::ATTENDANCE_STATUS_PRESENT);
    e->set_minutes_attended(120);
    att::RecordAttendanceResponse recorded;
    Must(att_->RecordAttendance(Ctx().get(), rec, &recorded), "RecordAttendance");
    place.attendance_record = recorded.records(0).id();
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
    namespace out = ::iop::outcomes::v1;
    out::SubmitAssessmentRequest sub;
    sub.set_client_id(place.client);
    sub.set_instrument_code("PHQ-9");
    for (int i = 0; i < 9; ++i) sub.add_answers(2);  // item 9 > 0 opens a risk alert
    *sub.mutable_administered_at() = Ts(first_monday_ + 1);
    out::Assessment assessment;
    Must(out_->SubmitAssessment(Ctx().get(), sub, &assessment), "SubmitAssessment");
    place.assessment = assessment.id();
    out::ListRiskAlertsRequest ar;
    ar.set_client_id(place.client);
    out::ListRiskAlertsResponse alerts;
    Must(out_->ListRiskAlerts(Ctx().get(), ar, &alerts), "ListRiskAlerts");
    if (alerts.risk_alerts_size() != 1) throw std::runtime_error("expected one risk alert after PHQ-9 item 9");
    place.risk_alert = alerts.risk_alerts(0).id();
#endif
  }

 private:
  std::unique_ptr<grpc::ClientContext> Ctx() { return testing::WithToken(admin_); }
  static google::protobuf::Timestamp Ts(absl::CivilDay d) {
    return sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(d, absl::UTCTimeZone())));
  }

  std::string Room(const std::string& site, const std::string& name) {
    sched::CreateRoomRequest r;
    r.mutable_room()->set_site_id(site);
    r.mutable_room()->set_display_name(name);
    r.mutable_room()->set_capacity(12);
    sched::Room room;
    Must(sched_->CreateRoom(Ctx().get(), r, &room), "CreateRoom");
    return room.id();
  }
  std::string Staff(const std::string& site, const std::string& name) {
    sched::CreateStaffRequest r;
    r.mutable_staff()->set_display_name(name);
    r.mutable_staff()->add_site_ids(site);
    sched::Staff staff;
    Must(sched_->CreateStaff(Ctx().get(), r, &staff), "CreateStaff");
    return staff.id();
  }
  std::string Client(const std::string& site, const std::string& name) {
    sched::CreateClientRequest r;
    r.mutable_client()->set_display_name(name);
    r.mutable_client()->set_age_group(sched::AGE_GROUP_ADULT);
    r.mutable_client()->set_site_id(site);
    sched::Client client;
    Must(sched_->CreateClient(Ctx().get(), r, &client), "CreateClient");
    return client.id();
  }
  std::string Group(const Place& place, common::Weekday day, const std::string& staff, const std::string& room,
                    const std::string& name) {
    sched::CreateGroupRequest r;
    auto* g = r.mutable_group();
    g->set_program_id(place.program);
    g->set_display_name(name);
    g->set_modality(common::MODALITY_DBT_SKILLS);
    g->add_facilitator_ids(staff);
    g->set_room_id(room);
    auto* rec = g->mutable_recurrence();
    rec->add_weekdays(day);
    rec->set_start_local_time("10:00");
    rec->set_duration_minutes(120);
    rec->set_starts_on(place.starts_on);
    rec->set_ends_on(place.ends_on);
    sched::Group group;
    Must(sched_->CreateGroup(Ctx().get(), r, &group), "CreateGroup");
    return group.id();
  }
  void Enroll(const std::string& group, const std::string& client, const std::string& start) {
    sched::EnrollClientRequest r;
    r.set_group_id(group);
    r.set_client_id(client);
    r.set_start_date(start);
    sched::Membership m;
    Must(sched_->EnrollClient(Ctx().get(), r, &m), "EnrollClient");
  }

  std::string org_, admin_;
  absl::CivilDay first_monday_;
  std::unique_ptr<sched::SchedulingService::Stub> sched_;
  std::unique_ptr<curr::CurriculumService::Stub> curr_;
#ifdef IOP_SECURITY_HAS_ATTENDANCE
  std::unique_ptr<::iop::attendance::v1::AttendanceService::Stub> att_;
#endif
#ifdef IOP_SECURITY_HAS_OUTCOMES
  std::unique_ptr<::iop::outcomes::v1::OutcomesService::Stub> out_;
#endif
};

}  // namespace

void World::Seed(Platform& platform) {
  run = std::to_string(::getpid()) + "-" + std::to_string(absl::ToUnixMicros(absl::Now()));
  org_a = "org-a-" + run;
  org_b = "org-b-" + run;
  Seeder a(platform, org_a);
  a.SeedOrgWide(home);
  other_site.lesson = home.lesson;
  other_site.track = home.track;
  a.SeedSite(home, "North clinic");
  a.SeedSite(other_site, "South clinic");
  Seeder b(platform, org_b);
  b.SeedOrgWide(other_org);
  b.SeedSite(other_org, "North clinic");
}

}  // namespace iop::security
