// Taking attendance: the facilitator's form (attend) and front-desk
// check-in / check-out.
#include <cstdio>

#include "absl/flags/flag.h"
#include "iop/attendance/v1/attendance.pb.h"
#include "iopctl/format.h"
#include "iopctl/iopctl.h"
#include "iopctl/rpc.h"

ABSL_FLAG(std::string, status, "PRESENT",
          "attendance status (attend): PRESENT, LATE, LEFT_EARLY, ABSENT_EXCUSED, ABSENT_UNEXCUSED");
ABSL_FLAG(int, minutes, 0, "minutes attended (attend; 0 = the whole session when PRESENT)");
ABSL_FLAG(std::string, note, "", "free-text note (attend, alerts ack)");
ABSL_FLAG(int, mood, -1, "mood the client reports at check-in, 0-10 (checkin; default: not asked)");
ABSL_FLAG(std::string, request_id, "", "de-duplicates a retried write (default: none)");

namespace iopctl {
namespace {

namespace att = iop::attendance::v1;

void PrintRecord(const att::AttendanceRecord& r) {
  if (JsonOutput()) {
    PrintJson(r);
    return;
  }
  std::printf("client %s at session %s (%s): %s, %d min", r.client_id().c_str(), r.session_id().c_str(),
              r.local_date().c_str(), EnumLabel(att::AttendanceStatus_descriptor(), r.status()).c_str(),
              r.minutes_attended());
  if (r.has_mood_rating()) std::printf(", mood %d/10", r.mood_rating());
  std::printf(" (version %lld)\n", static_cast<long long>(r.version()));
}

}  // namespace

int Attend(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return UsageError("usage: iopctl attend SESSION_ID CLIENT_ID [--status PRESENT|LATE|LEFT_EARLY|"
                      "ABSENT_EXCUSED|ABSENT_UNEXCUSED] [--minutes N] [--note TEXT]");
  }
  int status = ParseEnum(att::AttendanceStatus_descriptor(), absl::GetFlag(FLAGS_status));
  if (status < 0 || status == att::ATTENDANCE_STATUS_UNRECORDED) {
    return UsageError("--status \"" + absl::GetFlag(FLAGS_status) + "\" is not one of PRESENT, LATE, "
                      "LEFT_EARLY, ABSENT_EXCUSED, ABSENT_UNEXCUSED");
  }
  att::RecordAttendanceRequest request;
  request.set_session_id(args[0]);
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  auto* entry = request.add_entries();
  entry->set_client_id(args[1]);
  entry->set_status(static_cast<att::AttendanceStatus>(status));
  entry->set_minutes_attended(absl::GetFlag(FLAGS_minutes));
  entry->set_note(absl::GetFlag(FLAGS_note));
  att::RecordAttendanceResponse response;
  if (!Invoke(kAttendance, "RecordAttendance", request, &response)) {
    std::fprintf(stderr, "iopctl: who is expected: iopctl roster %s\n", args[0].c_str());
    return kCallFailed;
  }
  for (const auto& r : response.records()) PrintRecord(r);
  return kOk;
}

int CheckIn(const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: iopctl checkin SESSION_ID CLIENT_ID [--mood 0-10]");
  att::CheckInRequest request;
  request.set_session_id(args[0]);
  request.set_client_id(args[1]);
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  if (absl::GetFlag(FLAGS_mood) >= 0) request.set_mood_rating(absl::GetFlag(FLAGS_mood));
  att::AttendanceRecord record;
  if (!Invoke(kAttendance, "CheckIn", request, &record)) return kCallFailed;
  PrintRecord(record);
  return kOk;
}

int CheckOut(const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: iopctl checkout SESSION_ID CLIENT_ID");
  att::CheckOutRequest request;
  request.set_session_id(args[0]);
  request.set_client_id(args[1]);
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  att::AttendanceRecord record;
  if (!Invoke(kAttendance, "CheckOut", request, &record)) return kCallFailed;
  PrintRecord(record);
  return kOk;
}

}  // namespace iopctl
