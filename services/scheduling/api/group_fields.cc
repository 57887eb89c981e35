#include "scheduling/api/group_fields.h"

#include <set>

#include "scheduling/domain/directory.h"
#include "scheduling/domain/recurrence.h"

namespace iop::scheduling::api {
namespace {

constexpr size_t kMaxRequestIdLength = 128;
constexpr int kMaxGroupSize = 100;

void CheckRecurrence(errors::Validator& v, const v1::Recurrence& r) {
  const std::string f = "group.recurrence.";
  std::set<int> days;
  bool valid_days = r.weekdays_size() > 0;
  for (int d : r.weekdays()) valid_days = valid_days && d >= 1 && d <= 7 && days.insert(d).second;
  v.Require(valid_days, f + "weekdays", "must list one or more distinct weekdays MONDAY..SUNDAY");
  v.Require(domain::ParseLocalTime(r.start_local_time()).has_value(), f + "start_local_time",
            "\"" + r.start_local_time() + "\" is not a 24-hour \"HH:MM\" time");
  v.Require(r.duration_minutes() >= 15 && r.duration_minutes() <= 720, f + "duration_minutes",
            "must be from 15 to 720");
  auto starts = domain::ParseDate(r.starts_on());
  v.Require(starts.has_value(), f + "starts_on", "\"" + r.starts_on() + "\" is not a \"YYYY-MM-DD\" date");
  if (!r.ends_on().empty()) {
    auto ends = domain::ParseDate(r.ends_on());
    if (!ends) {
      v.Add(f + "ends_on", "\"" + r.ends_on() + "\" is not a \"YYYY-MM-DD\" date");
    } else if (starts && *ends < *starts) {
      v.Add(f + "ends_on", "end before start: must not be before starts_on " + r.starts_on());
    }
  }
}

std::set<std::string> Paths(const google::protobuf::FieldMask& mask, const std::set<std::string>& allowed) {
  std::set<std::string> out;
  for (const auto& p : mask.paths()) {
    if (!allowed.count(p)) {
      errors::Throw(errors::InvalidArgument("update_mask", "\"" + p + "\" is not a field that can change"));
    }
    out.insert(p);
  }
  return out;
}

}  // namespace

void CheckRequestId(errors::Validator& v, const std::string& request_id) {
  v.Require(request_id.size() <= kMaxRequestIdLength, "request_id",
            "must be at most " + std::to_string(kMaxRequestIdLength) + " bytes");
}

void CheckGroup(errors::Validator& v, const v1::Group& g, bool creating) {
  v.Require(!g.program_id().empty(), "group.program_id", "is required");
  domain::CheckDisplayName(v, "group.display_name", g.display_name());
  v.Require(g.modality() != iop::common::v1::MODALITY_UNSPECIFIED && iop::common::v1::Modality_IsValid(g.modality()),
            "group.modality", "must be one of the MODALITY_ values");
  std::set<std::string> facs;
  for (const auto& f : g.facilitator_ids()) {
    v.Require(!f.empty() && facs.insert(f).second, "group.facilitator_ids", "must be distinct, non-empty staff ids");
  }
  const int lo = creating ? 0 : 1;
  v.Require(g.min_size() >= lo && g.min_size() <= kMaxGroupSize, "group.min_size",
            creating ? "must be from 1 to 100 (0 = default 6)" : "must be from 1 to 100");
  v.Require(g.max_size() >= lo && g.max_size() <= kMaxGroupSize, "group.max_size",
            creating ? "must be from 1 to 100 (0 = default 12)" : "must be from 1 to 100");
  if (g.min_size() > 0 && g.max_size() > 0) {
    v.Require(g.max_size() >= g.min_size(), "group.max_size",
              "max_size " + std::to_string(g.max_size()) + " must be at least min_size " + std::to_string(g.min_size()));
  }
  v.Require(g.curriculum_track_id().size() <= 128, "group.curriculum_track_id", "must be at most 128 bytes");
  if (!g.has_recurrence()) {
    v.Add("group.recurrence", "is required");
  } else {
    CheckRecurrence(v, g.recurrence());
  }
}

v1::Group ApplyGroupMask(const v1::Group& current, const v1::Group& in, const google::protobuf::FieldMask& mask) {
  static const std::set<std::string> kAllowed = {
      "display_name", "modality", "facilitator_ids", "room_id", "min_size", "max_size",
      "curriculum_track_id", "recurrence", "recurrence.weekdays", "recurrence.start_local_time",
      "recurrence.duration_minutes", "recurrence.starts_on", "recurrence.ends_on"};
  std::set<std::string> paths = Paths(mask, kAllowed);
  if (paths.empty()) {
    const auto& r = in.recurrence();
    if (!in.display_name().empty()) paths.insert("display_name");
    if (in.modality() != 0) paths.insert("modality");
    if (in.facilitator_ids_size() > 0) paths.insert("facilitator_ids");
    if (!in.room_id().empty()) paths.insert("room_id");
    if (in.min_size() != 0) paths.insert("min_size");
    if (in.max_size() != 0) paths.insert("max_size");
    if (!in.curriculum_track_id().empty()) paths.insert("curriculum_track_id");
    if (r.weekdays_size() > 0) paths.insert("recurrence.weekdays");
    if (!r.start_local_time().empty()) paths.insert("recurrence.start_local_time");
    if (r.duration_minutes() != 0) paths.insert("recurrence.duration_minutes");
    if (!r.starts_on().empty()) paths.insert("recurrence.starts_on");
    if (!r.ends_on().empty()) paths.insert("recurrence.ends_on");
  }
  v1::Group out = current;
  auto* r = out.mutable_recurrence();
  const auto& nr = in.recurrence();
  for (const auto& p : paths) {
    if (p == "display_name") out.set_display_name(in.display_name());
    if (p == "modality") out.set_modality(in.modality());
    if (p == "facilitator_ids") *out.mutable_facilitator_ids() = in.facilitator_ids();
    if (p == "room_id") out.set_room_id(in.room_id());
    if (p == "min_size") out.set_min_size(in.min_size());
    if (p == "max_size") out.set_max_size(in.max_size());
    if (p == "curriculum_track_id") out.set_curriculum_track_id(in.curriculum_track_id());
    if (p == "recurrence") *r = nr;
    if (p == "recurrence.weekdays") *r->mutable_weekdays() = nr.weekdays();
    if (p == "recurrence.start_local_time") r->set_start_local_time(nr.start_local_time());
    if (p == "recurrence.duration_minutes") r->set_duration_minutes(nr.duration_minutes());
    if (p == "recurrence.starts_on") r->set_starts_on(nr.starts_on());
    if (p == "recurrence.ends_on") r->set_ends_on(nr.ends_on());
  }
  return out;
}

v1::Program ApplyProgramMask(const v1::Program& current, const v1::Program& in,
                             const google::protobuf::FieldMask& mask) {
  static const std::set<std::string> kAllowed = {"display_name", "min_weekly_hours", "max_weekly_hours",
                                                 "daily_minimum_minutes", "consecutive_absence_threshold",
                                                 "min_attendance_rate"};
  std::set<std::string> paths = Paths(mask, kAllowed);
  if (paths.empty()) {
    if (!in.display_name().empty()) paths.insert("display_name");
    if (in.min_weekly_hours() != 0) paths.insert("min_weekly_hours");
    if (in.max_weekly_hours() != 0) paths.insert("max_weekly_hours");
    if (in.daily_minimum_minutes() != 0) paths.insert("daily_minimum_minutes");
    if (in.consecutive_absence_threshold() != 0) paths.insert("consecutive_absence_threshold");
    if (in.min_attendance_rate() != 0) paths.insert("min_attendance_rate");
  }
  v1::Program out = current;
  for (const auto& p : paths) {
    if (p == "display_name") out.set_display_name(in.display_name());
    if (p == "min_weekly_hours") out.set_min_weekly_hours(in.min_weekly_hours());
    if (p == "max_weekly_hours") out.set_max_weekly_hours(in.max_weekly_hours());
    if (p == "daily_minimum_minutes") out.set_daily_minimum_minutes(in.daily_minimum_minutes());
    if (p == "consecutive_absence_threshold") out.set_consecutive_absence_threshold(in.consecutive_absence_threshold());
    if (p == "min_attendance_rate") out.set_min_attendance_rate(in.min_attendance_rate());
  }
  errors::Validator v;
  domain::CheckDisplayName(v, "program.display_name", out.display_name());
  domain::CheckProgramBounds(v, out.min_weekly_hours(), out.max_weekly_hours(), out.daily_minimum_minutes(),
                             out.consecutive_absence_threshold(), out.min_attendance_rate());
  v.ThrowIfInvalid();
  return out;
}

}  // namespace iop::scheduling::api
