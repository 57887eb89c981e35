// iopctl — talk to the IOP platform from a terminal.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "iopctl/iopctl.h"

namespace {

constexpr char kUsage[] = R"usage(iopctl COMMAND [flags]

Everyday commands (readable tables; add --json for scripts):
  sites                     list sites with their local time now
  sites create --name NAME --tz ZONE
  groups [--site ID]        groups with modality, meeting days and size
  sessions [--group ID | --site ID | --client ID] [--week YYYY-MM-DD]
                            a week of sessions in each site's local time (default: this week)
  roster SESSION_ID         who is expected, with attendance so far
  attend SESSION_ID CLIENT_ID [--status PRESENT|LATE|LEFT_EARLY|ABSENT_EXCUSED|ABSENT_UNEXCUSED]
                            [--minutes N] [--note TEXT]     record attendance
  checkin SESSION_ID CLIENT_ID [--mood 0-10]    front-desk check-in
  checkout SESSION_ID CLIENT_ID                 front-desk check-out
  assess CLIENT_ID --instrument PHQ-9 --answers 1,2,0,...   submit a questionnaire
  progress CLIENT_ID --instrument PHQ-9         scores over time, reliable change
  alerts [--site ID] [--all]                    open risk alerts and attendance alerts
  alerts ack ALERT_ID [--note TEXT]             acknowledge a risk alert

Tools:
  token     mint a local token:     iopctl token --org demo --role admin [--sites S1,S2]
  call      call any RPC with JSON: iopctl call SchedulingService/ListSites '{"pageSize": 10}'
  encode    a request as a gRPC frame (for h2load): iopctl encode SchedulingService/GetSite '{"id":"..."}'
  health    health of a service:    iopctl health --addr 127.0.0.1:50051
  services  list services through server reflection: iopctl services --addr 127.0.0.1:50051

Addresses: --addr, else $IOP_<SERVICE>_ADDR (eval "$(deploy/local/services.sh env)"),
else the local ports 50051-50054.
Tokens: --token, else $IOP_TOKEN, else minted from the local secret
(.run/jwt-secret, $IOP_JWT_SECRET or $IOP_JWT_SECRET_FILE) for --org/--role.)usage";

using Command = int (*)(const std::vector<std::string>&);

const std::map<std::string, Command>& Commands() {
  static const std::map<std::string, Command> commands = {
      {"token", iopctl::Token},       {"call", iopctl::Call},         {"encode", iopctl::Encode},
      {"health", iopctl::Health},     {"services", iopctl::Services}, {"sites", iopctl::Sites},
      {"groups", iopctl::Groups},     {"sessions", iopctl::Sessions}, {"roster", iopctl::Roster},
      {"attend", iopctl::Attend},     {"checkin", iopctl::CheckIn},   {"checkout", iopctl::CheckOut},
      {"assess", iopctl::Assess},     {"progress", iopctl::Progress}, {"alerts", iopctl::Alerts},
  };
  return commands;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  if (args.empty()) {
    std::fprintf(stderr, "%s\n", kUsage);
    return iopctl::kUsage;
  }
  std::string command = args.front();
  args.erase(args.begin());
  auto it = Commands().find(command);
  if (it != Commands().end()) return it->second(args);
  std::fprintf(stderr, "iopctl: unknown command \"%s\"\n\n%s\n", command.c_str(), kUsage);
  return iopctl::kUsage;
}
