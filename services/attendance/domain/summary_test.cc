#include "attendance/domain/summary.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "attendance/domain/alerts.h"

namespace iop::attendance::domain {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz));
  return tz;
}

// A session starting at local `y-m-d h:mi` in `tz`, lasting `minutes`.
SessionFact At(absl::TimeZone tz, int y, int m, int d, int h, int mi, int minutes, Status status,
               int attended, const std::string& id, const std::string& program = "p1") {
  SessionFact s;
  s.session_id = id;
  s.group_id = "g-" + program;
  s.program_id = program;
  s.site_id = "s1";
  s.start = absl::FromCivil(absl::CivilMinute(y, m, d, h, mi), tz);
  s.end = s.start + absl::Minutes(minutes);
  s.local_date = LocalDay(s.start, tz);
  s.status = status;
  s.minutes_attended = attended;
  return s;
}

const absl::Time kLongAfter = absl::FromCivil(absl::CivilSecond(2030, 1, 1, 0, 0, 0), absl::UTCTimeZone());

TEST(WeekStartTest, MondayStartsTheWeek) {
  EXPECT_EQ(WeekStart(absl::CivilDay(2024, 3, 4)), absl::CivilDay(2024, 3, 4));   // Monday
  EXPECT_EQ(WeekStart(absl::CivilDay(2024, 3, 10)), absl::CivilDay(2024, 3, 4));  // Sunday
  EXPECT_EQ(WeekStart(absl::CivilDay(2024, 3, 11)), absl::CivilDay(2024, 3, 11));
  EXPECT_EQ(WeekStart(absl::CivilDay(2025, 1, 1)), absl::CivilDay(2024, 12, 30));  // across a year
}

TEST(ParseDayTest, StrictFormat) {
  absl::CivilDay d;
  EXPECT_TRUE(ParseDay("2024-02-29", &d));
  EXPECT_EQ(d, absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDay("2023-02-29", &d));
  EXPECT_FALSE(ParseDay("2024-2-01", &d));
  EXPECT_FALSE(ParseDay("", &d));
  EXPECT_FALSE(ParseDay("2024-02-01T00", &d));
}

// Spring forward (2024-03-10 in New York): the week of March 4 has only 167
// hours. A Monday 00:30 session after it must land in the next week, which a
// "Monday 00:00 + 7×24h" boundary would get wrong.
TEST(SummaryTest, WeeksAcrossSpringForwardFollowTheLocalCalendar) {
  auto ny = Zone("America/New_York");
  std::vector<SessionFact> s = {
      At(ny, 2024, 3, 10, 22, 0, 60, Status::kPresent, 60, "sun-late"),
      At(ny, 2024, 3, 11, 0, 30, 120, Status::kPresent, 120, "mon-early"),
  };
  auto out = Summarize(s, absl::CivilDay(2024, 3, 4), absl::CivilDay(2024, 3, 17), kLongAfter,
                       absl::CivilDay(2024, 4, 1), {{"p1", {.min_weekly_hours = 2}}});
  ASSERT_EQ(out.weeks.size(), 2u);
  EXPECT_EQ(out.weeks[0].week_start, absl::CivilDay(2024, 3, 4));
  EXPECT_DOUBLE_EQ(out.weeks[0].hours_attended, 1.0);
  EXPECT_FALSE(out.weeks[0].compliant);
  EXPECT_EQ(out.weeks[1].week_start, absl::CivilDay(2024, 3, 11));
  EXPECT_DOUBLE_EQ(out.weeks[1].hours_attended, 2.0);
  EXPECT_TRUE(out.weeks[1].compliant);
  EXPECT_TRUE(out.weeks[0].complete);
  EXPECT_TRUE(out.weeks[1].complete);
}

// Fall back (2024-11-03): the week of October 28 has 169 hours; a Sunday
// 23:30 session is still in that week.
TEST(SummaryTest, WeeksAcrossFallBackKeepSundayNightInItsWeek) {
  auto ny = Zone("America/New_York");
  std::vector<SessionFact> s = {
      At(ny, 2024, 11, 3, 23, 30, 30, Status::kPresent, 30, "sun-night"),
      At(ny, 2024, 11, 4, 9, 0, 180, Status::kLate, 150, "mon"),
  };
  auto out = Summarize(s, absl::CivilDay(2024, 10, 28), absl::CivilDay(2024, 11, 10), kLongAfter,
                       absl::CivilDay(2024, 12, 1), {});
  ASSERT_EQ(out.weeks.size(), 2u);
  EXPECT_DOUBLE_EQ(out.weeks[0].hours_attended, 0.5);
  EXPECT_DOUBLE_EQ(out.weeks[0].hours_scheduled, 0.5);
  EXPECT_DOUBLE_EQ(out.weeks[1].hours_attended, 2.5);
  EXPECT_DOUBLE_EQ(out.weeks[1].hours_scheduled, 3.0);
}

TEST(SummaryTest, PartialAndCurrentWeeksAreNotComplete) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {At(utc, 2024, 5, 8, 9, 0, 180, Status::kPresent, 180, "a")};
  // Range starts on a Wednesday and today is inside the second week.
  auto out = Summarize(s, absl::CivilDay(2024, 5, 8), absl::CivilDay(2024, 5, 19), kLongAfter,
                       absl::CivilDay(2024, 5, 15), {});
  ASSERT_EQ(out.weeks.size(), 2u);
  EXPECT_FALSE(out.weeks[0].complete);  // only partly inside the range
  EXPECT_FALSE(out.weeks[1].complete);  // not over yet
  EXPECT_DOUBLE_EQ(out.weeks[1].min_weekly_hours, 9);  // default minimum, no sessions that week
}

TEST(SummaryTest, CountsRateAndFutureSessions) {
  auto utc = absl::UTCTimeZone();
  const absl::Time now = absl::FromCivil(absl::CivilMinute(2024, 5, 10, 12, 0), utc);
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 180, Status::kPresent, 180, "a"),
      At(utc, 2024, 5, 7, 9, 0, 180, Status::kAbsentExcused, 0, "b"),
      At(utc, 2024, 5, 8, 9, 0, 180, Status::kAbsentUnexcused, 0, "c"),
      At(utc, 2024, 5, 9, 9, 0, 180, Status::kUnrecorded, 0, "d"),       // past, nothing recorded
      At(utc, 2024, 5, 13, 9, 0, 180, Status::kUnrecorded, 0, "e"),      // future: not counted
      At(utc, 2024, 5, 14, 9, 0, 180, Status::kAbsentExcused, 0, "f"),   // future but recorded
  };
  auto out = Summarize(s, absl::CivilDay(2024, 5, 6), absl::CivilDay(2024, 5, 19), now,
                       absl::CivilDay(2024, 5, 10), {});
  EXPECT_EQ(out.sessions_scheduled, 5);
  EXPECT_EQ(out.sessions_attended, 1);
  EXPECT_EQ(out.sessions_excused, 2);
  EXPECT_EQ(out.sessions_unexcused, 1);
  EXPECT_EQ(out.sessions_unrecorded, 1);
  EXPECT_DOUBLE_EQ(out.attendance_rate, 0.2);
  EXPECT_DOUBLE_EQ(out.weeks[1].hours_scheduled, 6.0);  // future sessions still scheduled
}

TEST(SummaryTest, BillingDaysSumSessionsOfOneDayAgainstTheDailyMinimum) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 90, Status::kPresent, 90, "a"),
      At(utc, 2024, 5, 6, 13, 0, 90, Status::kPresent, 90, "b"),   // same day: 180 → qualifies
      At(utc, 2024, 5, 7, 9, 0, 180, Status::kLate, 179, "c"),     // one minute short
      At(utc, 2024, 5, 8, 9, 0, 180, Status::kAbsentExcused, 0, "d"),
  };
  auto out = Summarize(s, absl::CivilDay(2024, 5, 6), absl::CivilDay(2024, 5, 12), kLongAfter,
                       absl::CivilDay(2024, 6, 1), {{"p1", {.daily_minimum_minutes = 180}}});
  ASSERT_EQ(out.billing_days.size(), 2u);
  EXPECT_EQ(out.billing_days[0].date, absl::CivilDay(2024, 5, 6));
  EXPECT_EQ(out.billing_days[0].minutes_attended, 180);
  EXPECT_TRUE(out.billing_days[0].qualifies);
  EXPECT_EQ(out.billing_days[1].minutes_attended, 179);
  EXPECT_FALSE(out.billing_days[1].qualifies);
}

TEST(StreakTest, ExcusedAbsencesNeitherBreakNorExtend) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 60, Status::kPresent, 60, "a"),
      At(utc, 2024, 5, 7, 9, 0, 60, Status::kAbsentUnexcused, 0, "b"),
      At(utc, 2024, 5, 8, 9, 0, 60, Status::kAbsentExcused, 0, "c"),
      At(utc, 2024, 5, 9, 9, 0, 60, Status::kUnrecorded, 0, "d"),
      At(utc, 2024, 5, 10, 9, 0, 60, Status::kAbsentUnexcused, 0, "e"),
  };
  Streak st = CurrentUnexcusedStreak(s, absl::CivilDay(2024, 5, 31));
  EXPECT_EQ(st.length, 2);
  EXPECT_EQ(st.since, absl::CivilDay(2024, 5, 7));
  // Up to May 8 the latest recorded non-excused session is the absence of May 7.
  EXPECT_EQ(CurrentUnexcusedStreak(s, absl::CivilDay(2024, 5, 8)).length, 1);
  // Up to May 6 the latest is attended.
  EXPECT_EQ(CurrentUnexcusedStreak(s, absl::CivilDay(2024, 5, 6)).length, 0);
}

TEST(StreakTest, AttendanceEndsTheStreakAndOnlyExcusedIsZero) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 60, Status::kAbsentUnexcused, 0, "a"),
      At(utc, 2024, 5, 7, 9, 0, 60, Status::kLeftEarly, 30, "b"),
      At(utc, 2024, 5, 8, 9, 0, 60, Status::kAbsentExcused, 0, "c"),
  };
  EXPECT_EQ(CurrentUnexcusedStreak(s, absl::CivilDay(2024, 5, 31)).length, 0);
  std::vector<SessionFact> excused = {At(utc, 2024, 5, 8, 9, 0, 60, Status::kAbsentExcused, 0, "c")};
  EXPECT_EQ(CurrentUnexcusedStreak(excused, absl::CivilDay(2024, 5, 31)).length, 0);
}

TEST(StreakTest, SpansGroupsAndNamesTheLatestAbsence) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 7, 9, 0, 60, Status::kAbsentUnexcused, 0, "a", "p1"),
      At(utc, 2024, 5, 7, 14, 0, 60, Status::kAbsentUnexcused, 0, "b", "p2"),
  };
  Streak st = CurrentUnexcusedStreak(s, absl::CivilDay(2024, 5, 31));
  EXPECT_EQ(st.length, 2);
  EXPECT_EQ(st.group_id, "g-p2");
  EXPECT_EQ(st.program_id, "p2");
}

TEST(MinutesTest, ResolveAndOverlap) {
  auto utc = absl::UTCTimeZone();
  absl::Time start = absl::FromCivil(absl::CivilMinute(2024, 5, 6, 9, 0), utc);
  absl::Time end = start + absl::Minutes(180);
  EXPECT_EQ(ResolveMinutes(Status::kPresent, 0, start, end, std::nullopt, std::nullopt), 180);
  EXPECT_EQ(ResolveMinutes(Status::kPresent, 120, start, end, std::nullopt, std::nullopt), 120);
  EXPECT_EQ(ResolveMinutes(Status::kLate, 0, start, end, start + absl::Minutes(25), end + absl::Minutes(5)), 155);
  EXPECT_EQ(ResolveMinutes(Status::kLate, 0, start, end, start, std::nullopt), 0);
  EXPECT_EQ(ResolveMinutes(Status::kAbsentExcused, 0, start, end, start, end), 0);
  // Check-in before the start counts from the start; whole minutes only.
  EXPECT_EQ(OverlapMinutes(start - absl::Minutes(10), start + absl::Seconds(59 * 60 + 59), start, end), 59);
  EXPECT_EQ(OverlapMinutes(end + absl::Minutes(1), end + absl::Minutes(2), start, end), 0);
}

TEST(EntryTest, RejectsWhatTheContractRejects) {
  EXPECT_EQ(CheckEntry(Status::kPresent, 0, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kUnrecorded, 0, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kUnspecified, 0, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kPresent, -1, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kPresent, 181, 0, 180), "");
  EXPECT_EQ(CheckEntry(Status::kLate, 180, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kAbsentExcused, 10, 0, 180), "");
  EXPECT_NE(CheckEntry(Status::kPresent, 0, 2001, 180), "");
  EXPECT_EQ(CheckEntry(Status::kPresent, 0, 2000, 180), "");
}

// ---- alerts ---------------------------------------------------------------

TEST(AlertsTest, ConsecutiveAbsencesUseTheProgramThreshold) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 180, Status::kAbsentUnexcused, 0, "a"),
      At(utc, 2024, 5, 7, 9, 0, 180, Status::kAbsentExcused, 0, "b"),
      At(utc, 2024, 5, 8, 9, 0, 180, Status::kAbsentUnexcused, 0, "c"),
  };
  RulesByProgram two = {{"p1", {.min_weekly_hours = 0, .consecutive_absence_threshold = 2, .min_attendance_rate = 0}}};
  auto alerts = ClientAlerts("c1", s, absl::CivilDay(2024, 5, 8), two);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kConsecutiveAbsences);
  EXPECT_DOUBLE_EQ(alerts[0].value, 2);
  EXPECT_EQ(alerts[0].since, absl::CivilDay(2024, 5, 6));
  RulesByProgram three = two;
  three["p1"].consecutive_absence_threshold = 3;
  EXPECT_TRUE(ClientAlerts("c1", s, absl::CivilDay(2024, 5, 8), three).empty());
  // As of May 7 only one unexcused absence is in a row.
  EXPECT_TRUE(ClientAlerts("c1", s, absl::CivilDay(2024, 5, 7), two).empty());
}

TEST(AlertsTest, BelowMinHoursLooksAtTheLastCompleteWeek) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 5, 6, 9, 0, 180, Status::kPresent, 180, "a"),
      At(utc, 2024, 5, 8, 9, 0, 180, Status::kPresent, 180, "b"),
      At(utc, 2024, 5, 10, 9, 0, 180, Status::kLeftEarly, 120, "c"),  // 8 hours in all
  };
  RulesByProgram rules = {{"p1", {.min_weekly_hours = 9, .min_attendance_rate = 0}}};
  // On Wednesday May 15 the last complete week is May 6-12.
  auto alerts = ClientAlerts("c1", s, absl::CivilDay(2024, 5, 15), rules);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kBelowMinHours);
  EXPECT_DOUBLE_EQ(alerts[0].value, 8);
  EXPECT_DOUBLE_EQ(alerts[0].threshold, 9);
  EXPECT_EQ(alerts[0].since, absl::CivilDay(2024, 5, 6));
  // During that week itself it is not complete yet: no alert.
  EXPECT_TRUE(ClientAlerts("c1", s, absl::CivilDay(2024, 5, 12), rules).empty());
  rules["p1"].min_weekly_hours = 8;
  EXPECT_TRUE(ClientAlerts("c1", s, absl::CivilDay(2024, 5, 15), rules).empty());  // 8 >= 8
}

TEST(AlertsTest, LowAttendanceRateOverTwentyEightDays) {
  auto utc = absl::UTCTimeZone();
  std::vector<SessionFact> s = {
      At(utc, 2024, 4, 1, 9, 0, 60, Status::kAbsentExcused, 0, "old"),  // outside the window
      At(utc, 2024, 5, 6, 9, 0, 60, Status::kPresent, 60, "a"),
      At(utc, 2024, 5, 7, 9, 0, 60, Status::kAbsentExcused, 0, "b"),
      At(utc, 2024, 5, 8, 9, 0, 60, Status::kPresent, 60, "c"),
      At(utc, 2024, 5, 9, 9, 0, 60, Status::kPresent, 60, "d"),
  };
  RulesByProgram rules = {{"p1", {.min_weekly_hours = 0, .consecutive_absence_threshold = 9, .min_attendance_rate = 0.8}}};
  auto alerts = ClientAlerts("c1", s, absl::CivilDay(2024, 5, 10), rules);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kLowAttendanceRate);
  EXPECT_DOUBLE_EQ(alerts[0].value, 0.75);
  EXPECT_EQ(alerts[0].since, absl::CivilDay(2024, 4, 13));
  rules["p1"].min_attendance_rate = 0.75;
  EXPECT_TRUE(ClientAlerts("c1", s, absl::CivilDay(2024, 5, 10), rules).empty());
}

TEST(AlertsTest, OrderIsKindThenSinceThenClient) {
  Alert a{AlertKind::kConsecutiveAbsences, "c2", "", "", "", "", 0, 0, absl::CivilDay(2024, 5, 2)};
  Alert b{AlertKind::kConsecutiveAbsences, "c1", "", "", "", "", 0, 0, absl::CivilDay(2024, 5, 3)};
  Alert c{AlertKind::kBelowMinHours, "c0", "", "", "", "", 0, 0, absl::CivilDay(2024, 5, 1)};
  std::vector<Alert> v = {c, b, a};
  std::sort(v.begin(), v.end(), AlertBefore);
  EXPECT_EQ(v[0].client_id, "c2");
  EXPECT_EQ(v[1].client_id, "c1");
  EXPECT_EQ(v[2].client_id, "c0");
}

}  // namespace
}  // namespace iop::attendance::domain
