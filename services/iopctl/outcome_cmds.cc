// Measurement-based care from a terminal: submit an assessment, see a
// client's progress, and the alerts that need someone's attention.
#include <google/protobuf/util/time_util.h>

#include <cstdio>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "iop/attendance/v1/attendance.pb.h"
#include "iop/outcomes/v1/outcomes.pb.h"
#include "iopctl/format.h"
#include "iopctl/iopctl.h"
#include "iopctl/rpc.h"
#include "iopctl/table.h"

ABSL_FLAG(std::string, instrument, "", "instrument code such as PHQ-9, GAD-7, AUDIT-C (assess, progress)");
ABSL_FLAG(std::string, answers, "", "answers in item order, comma separated (assess)");
ABSL_FLAG(std::string, session, "", "session the assessment was given at (assess; optional)");
ABSL_FLAG(bool, all, false, "include acknowledged risk alerts (alerts)");
ABSL_DECLARE_FLAG(std::string, site);
ABSL_DECLARE_FLAG(std::string, note);
ABSL_DECLARE_FLAG(std::string, request_id);

namespace iopctl {
namespace {

namespace sched = iop::scheduling::v1;
namespace out = iop::outcomes::v1;
namespace att = iop::attendance::v1;

absl::Time ToAbsl(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// The client and the zone of its home site, for readable dates.
bool ClientAndZone(const std::string& client_id, sched::Client* client, absl::TimeZone* zone) {
  sched::GetClientRequest request;
  request.set_id(client_id);
  if (!Invoke(kScheduling, "GetClient", request, client)) return false;
  std::map<std::string, sched::Site> sites;
  if (!LoadSites(&sites)) return false;
  *zone = SiteZone(sites, client->site_id());
  return true;
}

int AcknowledgeAlert(const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: iopctl alerts ack ALERT_ID [--note TEXT]");
  out::AcknowledgeRiskAlertRequest request;
  request.set_id(args[1]);
  request.set_note(absl::GetFlag(FLAGS_note));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  out::RiskAlert alert;
  if (!Invoke(kOutcomes, "AcknowledgeRiskAlert", request, &alert)) return kCallFailed;
  if (JsonOutput()) {
    PrintJson(alert);
  } else {
    std::printf("risk alert %s acknowledged by %s\n", alert.id().c_str(), alert.acknowledged_by().c_str());
  }
  return kOk;
}

}  // namespace

int Assess(const std::vector<std::string>& args) {
  std::vector<int> answers;
  std::string error;
  if (args.size() != 1 || absl::GetFlag(FLAGS_instrument).empty()) {
    return UsageError("usage: iopctl assess CLIENT_ID --instrument PHQ-9 --answers 1,2,0,1,3,0,0,1,0");
  }
  if (!ParseAnswers(absl::GetFlag(FLAGS_answers), &answers, &error)) return UsageError("--answers: " + error);
  out::SubmitAssessmentRequest request;
  request.set_client_id(args[0]);
  request.set_instrument_code(absl::GetFlag(FLAGS_instrument));
  for (int a : answers) request.add_answers(a);
  request.set_session_id(absl::GetFlag(FLAGS_session));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  out::Assessment a;
  if (!Invoke(kOutcomes, "SubmitAssessment", request, &a)) {
    std::fprintf(stderr, "iopctl: the instrument's items and answer ranges: iopctl call "
                         "OutcomesService/GetInstrument '{\"code\": \"%s\"}'\n",
                 request.instrument_code().c_str());
    return kCallFailed;
  }
  if (JsonOutput()) {
    PrintJson(a);
    return kOk;
  }
  std::printf("%s for client %s: score %s (%s)%s\n", a.instrument_code().c_str(), a.client_id().c_str(),
              FormatNumber(a.total_score()).c_str(), a.severity().empty() ? "no band" : a.severity().c_str(),
              a.acute() ? ", ACUTE" : "");
  for (int item : a.critical_items()) std::printf("  critical item %d answered: a risk alert is open\n", item);
  if (a.risk_alert_ids_size() > 0) std::printf("  see: iopctl alerts\n");
  std::printf("assessment id %s\n", a.id().c_str());
  return kOk;
}

int Progress(const std::vector<std::string>& args) {
  if (args.size() != 1 || absl::GetFlag(FLAGS_instrument).empty()) {
    return UsageError("usage: iopctl progress CLIENT_ID --instrument PHQ-9");
  }
  out::GetClientProgressRequest request;
  request.set_client_id(args[0]);
  request.set_instrument_code(absl::GetFlag(FLAGS_instrument));
  out::GetClientProgressResponse p;
  if (!Invoke(kOutcomes, "GetClientProgress", request, &p)) return kCallFailed;
  if (JsonOutput()) {
    PrintJson(p);
    return kOk;
  }
  sched::Client client;
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!ClientAndZone(args[0], &client, &zone)) return kCallFailed;
  std::printf("%s, %s\n", client.display_name().c_str(), p.instrument_code().c_str());
  Table table({"DATE", "SCORE", "SEVERITY"});
  for (const auto& point : p.points()) {
    table.AddRow({FormatLocalDate(ToAbsl(point.administered_at()), zone), FormatNumber(point.score()),
                  point.severity()});
  }
  std::printf("%s", table.Render().c_str());
  if (p.category() == out::CHANGE_CATEGORY_INSUFFICIENT_DATA || p.points_size() < 2) {
    std::printf("Fewer than two scores: no change to judge yet.\n");
    return kOk;
  }
  std::printf("Baseline %s -> latest %s (change %s%s)\n", FormatNumber(p.baseline_score()).c_str(),
              FormatNumber(p.latest_score()).c_str(), p.change() > 0 ? "+" : "", FormatNumber(p.change()).c_str());
  if (p.category() != out::CHANGE_CATEGORY_UNSPECIFIED) {
    std::printf("Reliable change index %s: %s%s\n", FormatNumber(p.reliable_change_index()).c_str(),
                EnumLabel(out::ChangeCategory_descriptor(), p.category()).c_str(),
                p.clinically_significant() ? ", clinically significant (crossed into the functional range)" : "");
  } else {
    std::printf("(%s has no reliable-change figures: change only)\n", p.instrument_code().c_str());
  }
  return kOk;
}

int Alerts(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "ack") return AcknowledgeAlert(args);
  if (!args.empty()) return UsageError("usage: iopctl alerts [--site ID] [--all] | iopctl alerts ack ALERT_ID");
  out::ListRiskAlertsRequest risk_request;
  risk_request.set_site_id(absl::GetFlag(FLAGS_site));
  risk_request.set_page_size(500);
  if (!absl::GetFlag(FLAGS_all)) risk_request.set_state(out::RISK_ALERT_STATE_OPEN);
  out::ListRiskAlertsResponse risk;
  grpc::Status risk_status = CallUnary(kOutcomes, "ListRiskAlerts", risk_request, &risk);
  att::ListAttendanceAlertsRequest att_request;
  att_request.set_site_id(absl::GetFlag(FLAGS_site));
  att_request.set_page_size(500);
  att::ListAttendanceAlertsResponse attendance;
  grpc::Status att_status = CallUnary(kAttendance, "ListAttendanceAlerts", att_request, &attendance);
  if (!risk_status.ok() && !att_status.ok()) {
    PrintStatus(risk_status);
    PrintStatus(att_status);
    return kCallFailed;
  }
  if (JsonOutput()) {
    std::printf("{\n\"risk_alerts\": %s,\n\"attendance_alerts\": %s\n}\n",
                risk_status.ok() ? ToJson(risk).c_str() : "null",
                att_status.ok() ? ToJson(attendance).c_str() : "null");
    return kOk;
  }
  std::map<std::string, sched::Site> sites;
  std::map<std::string, sched::Client> clients;
  if (!LoadSites(&sites) || !LoadClients(&clients)) return kCallFailed;
  std::printf("Risk alerts%s:\n", absl::GetFlag(FLAGS_all) ? "" : " (open)");
  if (risk_status.ok()) {
    Table table({"CLIENT", "SEVERITY", "STATE", "OPENED (SITE TIME)", "REASON", "ALERT ID"});
    for (const auto& r : risk.risk_alerts()) {
      table.AddRow({NameOf(clients, r.client_id()), EnumLabel(out::RiskSeverity_descriptor(), r.severity()),
                    EnumLabel(out::RiskAlertState_descriptor(), r.state()),
                    FormatLocalTime(ToAbsl(r.open_time()), SiteZone(sites, r.site_id())), r.reason(), r.id()});
    }
    std::printf("%s", table.size() ? table.Render().c_str() : "  none\n");
  } else {
    std::printf("  unavailable: %s\n", risk_status.error_message().c_str());
  }
  std::printf("\nAttendance alerts:\n");
  if (att_status.ok()) {
    Table table({"CLIENT", "KIND", "SINCE", "DETAIL", "SITE"});
    for (const auto& a : attendance.alerts()) {
      table.AddRow({NameOf(clients, a.client_id()), EnumLabel(att::AlertKind_descriptor(), a.kind()), a.since(),
                    a.detail(), NameOf(sites, a.site_id())});
    }
    std::printf("%s", table.size() ? table.Render().c_str() : "  none\n");
  } else {
    std::printf("  unavailable: %s\n", att_status.error_message().c_str());
  }
  if (risk_status.ok() && risk.risk_alerts_size() > 0 && !absl::GetFlag(FLAGS_all)) {
    std::printf("\nAcknowledge one: iopctl alerts ack ALERT_ID --note \"called the client; safety plan reviewed\"\n");
  }
  return kOk;
}

}  // namespace iopctl
