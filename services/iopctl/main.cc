// iopctl — talk to the IOP platform from a terminal.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "iopctl/iopctl.h"

namespace {

constexpr char kUsage[] = R"(iopctl COMMAND [flags]

Commands:
  token     mint a local token:     iopctl token --org demo --role admin [--sites S1,S2]
  call      call any RPC with JSON: iopctl call SchedulingService/ListSites '{"pageSize": 10}'
  encode    a request as a gRPC frame (for h2load): iopctl encode SchedulingService/GetSite '{"id":"..."}'
  health    health of a service:    iopctl health --addr 127.0.0.1:50051
  services  list services through server reflection: iopctl services --addr 127.0.0.1:50051

Tokens: --token, else $IOP_TOKEN, else minted from the local secret
(.run/jwt-secret, $IOP_JWT_SECRET or $IOP_JWT_SECRET_FILE) for --org/--role.)";

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
  if (command == "token") return iopctl::Token(args);
  if (command == "call") return iopctl::Call(args);
  if (command == "encode") return iopctl::Encode(args);
  if (command == "health") return iopctl::Health(args);
  if (command == "services") return iopctl::Services(args);
  std::fprintf(stderr, "iopctl: unknown command \"%s\"\n\n%s\n", command.c_str(), kUsage);
  return iopctl::kUsage;
}
