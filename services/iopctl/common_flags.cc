// Flags shared by every subcommand, and how tokens and addresses are found.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/auth.h"
#include "common/errors.h"
#include "iopctl/iopctl.h"

ABSL_FLAG(std::string, addr, "", "host:port of the service (default: the local port of the service called)");
ABSL_FLAG(std::string, token, "", "bearer token to send (default: $IOP_TOKEN, else minted locally)");
ABSL_FLAG(std::string, org, "demo", "org claim of a locally minted token");
ABSL_FLAG(std::string, role, "admin", "role(s) of a locally minted token, comma separated");
ABSL_FLAG(std::string, sites, "", "site ids a minted token is limited to, comma separated");
ABSL_FLAG(std::string, subject, "iopctl", "sub claim of a locally minted token");
ABSL_FLAG(int, ttl_minutes, 60, "lifetime of a minted token");
ABSL_FLAG(std::string, secret_file, "", "file with the HS256 secret (default: .run/jwt-secret)");

namespace iopctl {
namespace {

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buf;
  buf << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(buf.str()));
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (auto part : absl::StrSplit(text, ',', absl::SkipEmpty())) out.emplace_back(part);
  return out;
}

std::string LocalSecret() {
  if (!absl::GetFlag(FLAGS_secret_file).empty()) return ReadTrimmed(absl::GetFlag(FLAGS_secret_file));
  if (const char* s = std::getenv("IOP_JWT_SECRET"); s && *s) return s;
  if (const char* f = std::getenv("IOP_JWT_SECRET_FILE"); f && *f) return ReadTrimmed(f);
  return ReadTrimmed(".run/jwt-secret");
}

std::string Mint() {
  std::string secret = LocalSecret();
  if (secret.empty()) {
    std::fprintf(stderr,
                 "iopctl: no signing secret found: start the local stack with `make run` "
                 "(it writes .run/jwt-secret), or pass --secret-file, or set IOP_JWT_SECRET\n");
    std::exit(kUsage);
  }
  return iop::auth::MintToken(secret, {.subject = absl::GetFlag(FLAGS_subject),
                                       .org = absl::GetFlag(FLAGS_org),
                                       .roles = SplitList(absl::GetFlag(FLAGS_role)),
                                       .sites = SplitList(absl::GetFlag(FLAGS_sites)),
                                       .ttl = std::chrono::minutes(absl::GetFlag(FLAGS_ttl_minutes))});
}

}  // namespace

int Token(const std::vector<std::string>&) {
  std::printf("%s\n", Mint().c_str());
  return kOk;
}

std::string ResolveToken() {
  if (!absl::GetFlag(FLAGS_token).empty()) return absl::GetFlag(FLAGS_token);
  if (const char* t = std::getenv("IOP_TOKEN"); t && *t) return t;
  return Mint();
}

std::string ResolveAddress(const std::string& method_or_service) {
  if (!absl::GetFlag(FLAGS_addr).empty()) return absl::GetFlag(FLAGS_addr);
  // IOP_<SERVICE>_ADDR (as `deploy/local/services.sh env` exports) wins
  // over the local default port.
  struct Known {
    const char* name;
    const char* env;
    const char* local;
  };
  const Known known[] = {{"Scheduling", "IOP_SCHEDULING_ADDR", "127.0.0.1:50051"},
                         {"Attendance", "IOP_ATTENDANCE_ADDR", "127.0.0.1:50052"},
                         {"Curriculum", "IOP_CURRICULUM_ADDR", "127.0.0.1:50053"},
                         {"Outcomes", "IOP_OUTCOMES_ADDR", "127.0.0.1:50054"}};
  const Known* pick = &known[0];
  for (const auto& k : known) {
    if (method_or_service.find(k.name) != std::string::npos) pick = &k;
  }
  if (const char* env = std::getenv(pick->env); env && *env) return env;
  return pick->local;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

void PrintStatus(const grpc::Status& status) {
  const char* hint = "";
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      hint = " (is the service running? `make run` starts the local suite; `make status` shows it)";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      hint = " (mint a token with `iopctl token --org ORG --role ROLE` or pass --token)";
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      hint = " (use a token with a role that allows this call, e.g. --role admin)";
      break;
    default:
      break;
  }
  std::fprintf(stderr, "iopctl: %s: %s%s\n", iop::errors::CodeName(status.error_code()),
               status.error_message().c_str(), hint);
}

}  // namespace iopctl
