#include "iopctl/format.h"

#include <gtest/gtest.h>

#include "iop/attendance/v1/attendance.pb.h"
#include "iop/common/v1/types.pb.h"

namespace iopctl {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

TEST(FormatSessionTime, ShowsTheSiteClockOnBothSidesOfDaylightSaving) {
  absl::TimeZone ny = Zone("America/New_York");
  // US clocks moved forward on Sunday 2025-03-09: the same 09:00 local
  // session is 14:00 UTC on Friday and 13:00 UTC on Monday.
  EXPECT_EQ(FormatSessionTime(Utc(2025, 3, 7, 14, 0), Utc(2025, 3, 7, 17, 0), ny), "Fri 2025-03-07 09:00-12:00 EST");
  EXPECT_EQ(FormatSessionTime(Utc(2025, 3, 10, 13, 0), Utc(2025, 3, 10, 16, 0), ny),
            "Mon 2025-03-10 09:00-12:00 EDT");
}

TEST(FormatSessionTime, SameInstantReadsDifferentlyPerSite) {
  absl::Time start = Utc(2025, 11, 3, 16, 0), end = Utc(2025, 11, 3, 18, 0);
  EXPECT_EQ(FormatSessionTime(start, end, Zone("America/New_York")), "Mon 2025-11-03 11:00-13:00 EST");
  EXPECT_EQ(FormatSessionTime(start, end, Zone("America/Denver")), "Mon 2025-11-03 09:00-11:00 MST");
}

TEST(FormatSessionTime, SessionAcrossTheSpringGapEndsOnTheNewOffset) {
  // 01:30 EST plus one real hour is 03:30 EDT (02:xx does not exist that night).
  absl::TimeZone ny = Zone("America/New_York");
  absl::Time start = Utc(2025, 3, 9, 6, 30);
  EXPECT_EQ(FormatSessionTime(start, start + absl::Hours(1), ny), "Sun 2025-03-09 01:30-03:30 EST");
}

TEST(FormatSessionTime, MarksAnEndOnTheNextLocalDay) {
  absl::TimeZone denver = Zone("America/Denver");
  // 23:30 MST on 2025-01-15 is 06:30 UTC the next day.
  absl::Time start = Utc(2025, 1, 16, 6, 30);
  EXPECT_EQ(FormatSessionTime(start, start + absl::Minutes(90), denver), "Wed 2025-01-15 23:30-01:00+1 MST");
}

TEST(FormatLocal, DateAndTimeFollowTheZoneNotUtc) {
  absl::Time t = Utc(2025, 6, 1, 3, 15);  // still May 31 in Denver (MDT, UTC-6)
  EXPECT_EQ(FormatLocalTime(t, Zone("America/Denver")), "2025-05-31 21:15 MDT");
  EXPECT_EQ(FormatLocalDate(t, Zone("America/Denver")), "2025-05-31");
  EXPECT_EQ(FormatLocalDate(t, absl::UTCTimeZone()), "2025-06-01");
}

TEST(WeekStart, IsTheMondayOnOrBefore) {
  EXPECT_EQ(WeekStart(absl::CivilDay(2025, 3, 10)), absl::CivilDay(2025, 3, 10));  // Monday
  EXPECT_EQ(WeekStart(absl::CivilDay(2025, 3, 16)), absl::CivilDay(2025, 3, 10));  // Sunday
  EXPECT_EQ(WeekStart(absl::CivilDay(2025, 1, 1)), absl::CivilDay(2024, 12, 30));  // across the year
}

TEST(ParseDate, AcceptsRealDatesOnly) {
  absl::CivilDay day;
  ASSERT_TRUE(ParseDate("2024-02-29", &day));
  EXPECT_EQ(day, absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseDate("2025-02-29", &day));  // not a leap year
  EXPECT_FALSE(ParseDate("2025-02-30", &day));
  EXPECT_FALSE(ParseDate("2025-13-01", &day));
  EXPECT_FALSE(ParseDate("2025-3-10", &day));
  EXPECT_FALSE(ParseDate("2025/03/10", &day));
  EXPECT_FALSE(ParseDate("", &day));
}

TEST(ParseAnswers, ReadsCommaSeparatedWholeNumbers) {
  std::vector<int> answers;
  std::string error;
  ASSERT_TRUE(ParseAnswers("1,2,0, 3 ,0", &answers, &error)) << error;
  EXPECT_EQ(answers, (std::vector<int>{1, 2, 0, 3, 0}));
  // Ranges are the instrument's business (the server checks them).
  ASSERT_TRUE(ParseAnswers("-1", &answers, &error));
  EXPECT_EQ(answers, (std::vector<int>{-1}));
}

TEST(ParseAnswers, NamesTheItemThatIsWrong) {
  std::vector<int> answers;
  std::string error;
  EXPECT_FALSE(ParseAnswers("1,,2", &answers, &error));
  EXPECT_NE(error.find("answer 2"), std::string::npos) << error;
  EXPECT_FALSE(ParseAnswers("1,2,x", &answers, &error));
  EXPECT_NE(error.find("answer 3"), std::string::npos) << error;
  EXPECT_FALSE(ParseAnswers("1.5", &answers, &error));
  EXPECT_FALSE(ParseAnswers("  ", &answers, &error));
  EXPECT_NE(error.find("--answers"), std::string::npos) << error;
}

TEST(Enums, ShortLabelsDropTheEnumPrefix) {
  EXPECT_EQ(EnumPrefix("AttendanceStatus"), "ATTENDANCE_STATUS_");
  EXPECT_EQ(EnumPrefix("Modality"), "MODALITY_");
  EXPECT_EQ(StripEnumPrefix("MODALITY_DBT_SKILLS", "MODALITY_"), "DBT_SKILLS");
  EXPECT_EQ(StripEnumPrefix("OTHER", "MODALITY_"), "OTHER");
  EXPECT_EQ(StripEnumPrefix("MODALITY_", "MODALITY_"), "MODALITY_");
  EXPECT_EQ(EnumLabel(iop::common::v1::Modality_descriptor(), iop::common::v1::MODALITY_DBT_SKILLS),
            "DBT_SKILLS");
  EXPECT_EQ(EnumLabel(iop::common::v1::Modality_descriptor(), 0), "-");
  EXPECT_EQ(EnumLabel(iop::common::v1::Modality_descriptor(), 99), "99");
}

TEST(Enums, ParseAcceptsWhatPeopleType) {
  const auto* type = iop::attendance::v1::AttendanceStatus_descriptor();
  EXPECT_EQ(ParseEnum(type, "present"), iop::attendance::v1::ATTENDANCE_STATUS_PRESENT);
  EXPECT_EQ(ParseEnum(type, "absent-unexcused"), iop::attendance::v1::ATTENDANCE_STATUS_ABSENT_UNEXCUSED);
  EXPECT_EQ(ParseEnum(type, "Left Early"), iop::attendance::v1::ATTENDANCE_STATUS_LEFT_EARLY);
  EXPECT_EQ(ParseEnum(type, "ATTENDANCE_STATUS_LATE"), iop::attendance::v1::ATTENDANCE_STATUS_LATE);
  EXPECT_EQ(ParseEnum(type, "UNSPECIFIED"), -1);
  EXPECT_EQ(ParseEnum(type, "ATTENDANCE_STATUS_UNSPECIFIED"), -1);
  EXPECT_EQ(ParseEnum(type, "here"), -1);
  EXPECT_EQ(ParseEnum(type, ""), -1);
  std::string choices = EnumChoices(type);
  EXPECT_NE(choices.find("ABSENT_EXCUSED"), std::string::npos);
  EXPECT_EQ(choices.find("UNSPECIFIED"), std::string::npos);
}

TEST(Numbers, TrimTrailingZerosAndRound) {
  EXPECT_EQ(FormatNumber(14), "14");
  EXPECT_EQ(FormatNumber(14.5), "14.5");
  EXPECT_EQ(FormatNumber(-3.25), "-3.25");
  EXPECT_EQ(FormatNumber(2.999), "3");
  EXPECT_EQ(FormatNumber(-0.001), "0");
  EXPECT_EQ(FormatNumber(-4.6188), "-4.62");
  EXPECT_EQ(FormatPercent(0.857), "86%");
  EXPECT_EQ(FormatPercent(0), "0%");
}

}  // namespace
}  // namespace iopctl
