#include "scheduling/domain/recurrence.h"

#include <gtest/gtest.h>

namespace iop::scheduling::domain {
namespace {

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

Series WeeklySeries(const std::string& zone, absl::CivilDay starts_on, std::vector<int> weekdays,
                    int start_minute, int duration = 180) {
  Series s;
  s.group_id = "g1";
  s.tz = Zone(zone);
  s.starts_on = starts_on;
  Plan p;
  p.valid_from = starts_on;
  p.weekdays = MaskOf(weekdays);
  p.start_minute = start_minute;
  p.duration_minutes = duration;
  p.facilitator_ids = {"f1"};
  p.room_id = "r1";
  s.plans.push_back(p);
  return s;
}

TEST(RecurrenceTest, ParsesDatesAndClockTimesStrictly) {
  EXPECT_EQ(ParseDate("2024-03-10"), absl::CivilDay(2024, 3, 10));
  EXPECT_EQ(ParseDate("2024-02-29"), absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDate("2023-02-29"));
  EXPECT_FALSE(ParseDate("2024-13-01"));
  EXPECT_FALSE(ParseDate("2024-3-10"));
  EXPECT_FALSE(ParseDate(""));
  EXPECT_EQ(FormatDate(absl::CivilDay(2030, 1, 7)), "2030-01-07");
  EXPECT_EQ(ParseLocalTime("09:00"), 540);
  EXPECT_EQ(ParseLocalTime("23:59"), 1439);
  EXPECT_EQ(ParseLocalTime("00:00"), 0);
  EXPECT_FALSE(ParseLocalTime("25:00"));
  EXPECT_FALSE(ParseLocalTime("24:00"));
  EXPECT_FALSE(ParseLocalTime("12:60"));
  EXPECT_FALSE(ParseLocalTime("9:00"));
  EXPECT_FALSE(ParseLocalTime("09-00"));
  EXPECT_EQ(FormatLocalTime(545), "09:05");
}

TEST(RecurrenceTest, WeekdaysAreIso) {
  EXPECT_EQ(IsoWeekday(absl::CivilDay(2024, 3, 11)), 1);  // Monday
  EXPECT_EQ(IsoWeekday(absl::CivilDay(2024, 3, 10)), 7);  // Sunday
  EXPECT_EQ(WeekdaysOf(MaskOf({5, 1, 3, 3})), (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(MaskOf({0, 8}), 0u);
}

// A 09:00 group keeps meeting at 09:00 local on both sides of each change.
struct DstCase {
  const char* zone;
  absl::CivilDay before, transition, after;
  int utc_hour_before, utc_hour_transition, utc_hour_after;
};

TEST(RecurrenceTest, NineOClockStaysNineOClockAcrossDaylightSaving) {
  const DstCase cases[] = {
      {"America/New_York", absl::CivilDay(2024, 3, 3), absl::CivilDay(2024, 3, 10), absl::CivilDay(2024, 3, 17), 14, 13, 13},
      {"America/New_York", absl::CivilDay(2024, 10, 27), absl::CivilDay(2024, 11, 3), absl::CivilDay(2024, 11, 10), 13, 14, 14},
      {"Europe/Berlin", absl::CivilDay(2024, 3, 24), absl::CivilDay(2024, 3, 31), absl::CivilDay(2024, 4, 7), 8, 7, 7},
      {"Europe/Berlin", absl::CivilDay(2024, 10, 20), absl::CivilDay(2024, 10, 27), absl::CivilDay(2024, 11, 3), 7, 8, 8},
  };
  for (const auto& c : cases) {
    Series s = WeeklySeries(c.zone, c.before, {7}, 9 * 60);
    std::vector<Slot> slots = Expand(s, c.before, c.after);
    ASSERT_EQ(slots.size(), 3u) << c.zone;
    const absl::CivilDay days[] = {c.before, c.transition, c.after};
    const int hours[] = {c.utc_hour_before, c.utc_hour_transition, c.utc_hour_after};
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(slots[i].local_date, days[i]) << c.zone;
      EXPECT_EQ(slots[i].local_minute, 9 * 60) << c.zone << " " << days[i];
      EXPECT_EQ(slots[i].start, Utc(days[i].year(), days[i].month(), days[i].day(), hours[i], 0))
          << c.zone << " " << days[i];
      EXPECT_EQ(slots[i].end - slots[i].start, absl::Minutes(180));
    }
  }
}

TEST(RecurrenceTest, NonexistentLocalTimeStartsWhenTheClockLands) {
  // New York 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
  EXPECT_EQ(LocalStart(Zone("America/New_York"), absl::CivilDay(2024, 3, 10), 2 * 60 + 30), Utc(2024, 3, 10, 7, 0));
  // Berlin 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
  EXPECT_EQ(LocalStart(Zone("Europe/Berlin"), absl::CivilDay(2024, 3, 31), 2 * 60 + 30), Utc(2024, 3, 31, 1, 0));
  Series s = WeeklySeries("America/New_York", absl::CivilDay(2024, 3, 10), {7}, 2 * 60 + 30, 60);
  std::vector<Slot> slots = Expand(s, absl::CivilDay(2024, 3, 10), absl::CivilDay(2024, 3, 10));
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].local_minute, 3 * 60);  // shown as it happens on the wall clock
}

TEST(RecurrenceTest, RepeatedLocalTimeTakesTheEarlierInstant) {
  // New York 2024-11-03: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
  EXPECT_EQ(LocalStart(Zone("America/New_York"), absl::CivilDay(2024, 11, 3), 90), Utc(2024, 11, 3, 5, 30));
  // Berlin 2024-10-27: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET).
  EXPECT_EQ(LocalStart(Zone("Europe/Berlin"), absl::CivilDay(2024, 10, 27), 150), Utc(2024, 10, 27, 0, 30));
}

TEST(RecurrenceTest, ExpandHonoursBoundsWeekdaysAndPlans) {
  Series s = WeeklySeries("UTC", absl::CivilDay(2030, 1, 7), {1, 3}, 600);  // Mon, Wed from Monday 7 Jan
  s.ends_on = absl::CivilDay(2030, 1, 21);
  Plan later = s.plans[0];
  later.valid_from = absl::CivilDay(2030, 1, 14);
  later.weekdays = MaskOf({2});
  later.start_minute = 660;
  later.room_id = "r2";
  s.plans.push_back(later);
  std::vector<Slot> slots = Expand(s, absl::CivilDay(2029, 12, 1), absl::CivilDay(2030, 2, 1));
  std::vector<std::string> ids;
  for (auto& sl : slots) ids.push_back(sl.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"g1_20300107", "g1_20300109", "g1_20300115"}));
  EXPECT_EQ(slots[2].room_id, "r2");
  EXPECT_EQ(slots[2].local_minute, 660);
  EXPECT_EQ(slots[0].room_id, "r1");
  EXPECT_FALSE(OccurrenceOn(s, absl::CivilDay(2030, 1, 8)));   // Tuesday before the new plan
  EXPECT_TRUE(OccurrenceOn(s, absl::CivilDay(2030, 1, 15)));
  EXPECT_FALSE(OccurrenceOn(s, absl::CivilDay(2030, 1, 22)));  // after ends_on
}

TEST(RecurrenceTest, SessionIdsAreStableAndParse) {
  EXPECT_EQ(OccurrenceId("abc-1", absl::CivilDay(2030, 1, 7)), "abc-1_20300107");
  auto p = ParseSessionId("abc-1_20300107");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->group_id, "abc-1");
  EXPECT_EQ(p->occurrence_date, absl::CivilDay(2030, 1, 7));
  auto o = ParseSessionId(OneOffId("abc-1", "9f3a"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->group_id, "abc-1");
  EXPECT_FALSE(o->occurrence_date);
  EXPECT_FALSE(ParseSessionId("abc"));
  EXPECT_FALSE(ParseSessionId("abc_20301350"));
  EXPECT_FALSE(ParseSessionId("abc_o"));
  EXPECT_FALSE(ParseSessionId("_20300107"));
  EXPECT_FALSE(ParseSessionId("abc_oX!"));
}

TEST(RecurrenceTest, StoredRowsReplaceOccurrencesAndKeepIds) {
  Series s = WeeklySeries("UTC", absl::CivilDay(2030, 1, 7), {1}, 600);
  std::vector<Slot> generated = Expand(s, absl::CivilDay(2030, 1, 7), absl::CivilDay(2030, 1, 21));
  ASSERT_EQ(generated.size(), 3u);
  Slot moved = generated[0];
  moved.start = Utc(2030, 1, 30, 8, 0);  // moved after the others
  moved.end = moved.start + absl::Hours(1);
  moved.rescheduled = true;
  Slot one_off = generated[1];
  one_off.id = OneOffId("g1", "x1");
  one_off.one_off = true;
  one_off.occurrence_date.reset();
  std::vector<Slot> merged = Merge(generated, {moved, one_off});
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].id, "g1_20300114");  // same start as the one-off; id breaks the tie
  EXPECT_EQ(merged[1].id, "g1_o" + std::string("x1"));
  EXPECT_EQ(merged[2].id, "g1_20300121");
  EXPECT_EQ(merged[3].id, "g1_20300107");
  EXPECT_TRUE(merged[3].rescheduled);
}

}  // namespace
}  // namespace iop::scheduling::domain
