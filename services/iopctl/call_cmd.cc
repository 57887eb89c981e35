// `iopctl call Service/Method JSON`: any RPC of the published contracts, with
// JSON in and out (the descriptors are compiled into iopctl).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>

#include "common/raw_call.h"
#include "iop/attendance/v1/attendance.pb.h"
#include "iop/curriculum/v1/curriculum.pb.h"
#include "iop/outcomes/v1/outcomes.pb.h"
#include "iop/scheduling/v1/scheduling.pb.h"
#include "iopctl/iopctl.h"

namespace iopctl {
namespace {

namespace pb = google::protobuf;

// Touching one message per file links it in, which registers every
// descriptor of that file in the generated pool.
void LinkContracts() {
  (void)iop::scheduling::v1::Site::descriptor();
  (void)iop::attendance::v1::AttendanceRecord::descriptor();
  (void)iop::curriculum::v1::Lesson::descriptor();
  (void)iop::outcomes::v1::Assessment::descriptor();
}

// Accepts "iop.scheduling.v1.SchedulingService/GetSite", "SchedulingService/GetSite"
// or "SchedulingService.GetSite".
const pb::MethodDescriptor* FindMethod(std::string name) {
  LinkContracts();
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  auto slash = name.rfind('/');
  if (slash != std::string::npos) name[slash] = '.';
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  if (const auto* m = pool->FindMethodByName(name)) return m;
  for (const char* pkg : {"iop.scheduling.v1.", "iop.attendance.v1.", "iop.curriculum.v1.",
                          "iop.outcomes.v1."}) {
    if (const auto* m = pool->FindMethodByName(pkg + name)) return m;
  }
  return nullptr;
}

// Resolves the method and parses the JSON request; prints why on failure.
const pb::MethodDescriptor* ParseRequest(const std::vector<std::string>& args,
                                         pb::DynamicMessageFactory& factory,
                                         std::unique_ptr<pb::Message>* request) {
  const pb::MethodDescriptor* method = FindMethod(args[0]);
  if (method == nullptr) {
    std::fprintf(stderr, "iopctl: no method \"%s\" in the contracts (example: SchedulingService/ListSites)\n",
                 args[0].c_str());
    return nullptr;
  }
  if (method->client_streaming() || method->server_streaming()) {
    std::fprintf(stderr, "iopctl: %s is a streaming method; only unary methods are supported here\n",
                 method->full_name().c_str());
    return nullptr;
  }
  request->reset(factory.GetPrototype(method->input_type())->New());
  if (args.size() == 2) {
    auto parsed = pb::util::JsonStringToMessage(args[1], request->get());
    if (!parsed.ok()) {
      std::fprintf(stderr, "iopctl: the request is not a valid %s: %s\n",
                   method->input_type()->full_name().c_str(), parsed.ToString().c_str());
      return nullptr;
    }
  }
  return method;
}

}  // namespace

int Call(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    std::fprintf(stderr, "usage: iopctl call Service/Method ['{json request}']\n");
    return kUsage;
  }
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> request;
  const pb::MethodDescriptor* method = ParseRequest(args, factory, &request);
  if (method == nullptr) return kUsage;
  std::unique_ptr<pb::Message> response(factory.GetPrototype(method->output_type())->New());
  std::string path = "/" + method->service()->full_name() + "/" + method->name();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + ResolveToken());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::string bytes;
  grpc::Status status = iop::client::RawUnaryCall(Connect(ResolveAddress(path)), &context, path,
                                                  request->SerializeAsString(), &bytes);
  if (!status.ok()) {
    PrintStatus(status);
    return kCallFailed;
  }
  response->ParseFromString(bytes);
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)pb::util::MessageToJsonString(*response, &json, options);
  std::printf("%s\n", json.c_str());
  return kOk;
}

int Encode(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    std::fprintf(stderr, "usage: iopctl encode Service/Method ['{json request}'] > body.bin\n");
    return kUsage;
  }
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> request;
  if (ParseRequest(args, factory, &request) == nullptr) return kUsage;
  // gRPC framing: uncompressed flag, 4-byte big-endian length, message.
  std::string bytes = request->SerializeAsString();
  uint32_t n = static_cast<uint32_t>(bytes.size());
  const char prefix[5] = {0, static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  std::fwrite(prefix, 1, 5, stdout);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  return kOk;
}

int Health(const std::vector<std::string>& args) {
  std::string service = args.empty() ? "" : args[0];
  iop::client::Health health;
  grpc::Status status = iop::client::CheckHealth(Connect(ResolveAddress(service)), service, &health);
  if (!status.ok()) {
    PrintStatus(status);
    return kCallFailed;
  }
  std::printf("%s\n", iop::client::HealthName(health));
  return health == iop::client::Health::kServing ? kOk : kCallFailed;
}

int Services(const std::vector<std::string>&) {
  std::vector<std::string> services;
  grpc::Status status = iop::client::ListServicesByReflection(Connect(ResolveAddress("")), &services);
  if (!status.ok()) {
    PrintStatus(status);
    return kCallFailed;
  }
  for (const auto& s : services) std::printf("%s\n", s.c_str());
  return kOk;
}

}  // namespace iopctl
