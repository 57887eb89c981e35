// Shared pieces of the iopctl subcommands.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

namespace iopctl {

// Exit codes: 0 ok, 1 the call failed, 2 usage or local problem.
constexpr int kOk = 0;
constexpr int kCallFailed = 1;
constexpr int kUsage = 2;

int Token(const std::vector<std::string>& args);
int Call(const std::vector<std::string>& args);
// Writes a request as a length-prefixed gRPC frame (for load generators).
int Encode(const std::vector<std::string>& args);
int Health(const std::vector<std::string>& args);
int Services(const std::vector<std::string>& args);

// Readable commands (tables by default, --json for scripts).
int Sites(const std::vector<std::string>& args);
int Groups(const std::vector<std::string>& args);
int Sessions(const std::vector<std::string>& args);
int Roster(const std::vector<std::string>& args);
int Attend(const std::vector<std::string>& args);
int CheckIn(const std::vector<std::string>& args);
int CheckOut(const std::vector<std::string>& args);
int Assess(const std::vector<std::string>& args);
int Progress(const std::vector<std::string>& args);
int Alerts(const std::vector<std::string>& args);

// The token to send: --token, else $IOP_TOKEN, else one minted from the
// local secret for --org/--role (convenient on the local stack).
std::string ResolveToken();
// --addr, else the local address of the service a method belongs to.
std::string ResolveAddress(const std::string& method_or_service);
std::shared_ptr<grpc::Channel> Connect(const std::string& address);
// Prints a failed status in one readable line with a hint of what to do.
void PrintStatus(const grpc::Status& status);

}  // namespace iopctl
