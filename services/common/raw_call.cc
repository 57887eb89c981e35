#include "common/raw_call.h"

#include <grpcpp/generic/generic_stub.h>

#include <future>

namespace iop::client {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          grpc::ClientContext* context, const std::string& method,
                          const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ByteBuffer in = ToBuffer(request);
  grpc::ByteBuffer out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context, method, grpc::StubOptions(), &in, &out,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.ok()) *response = FromBuffer(out);
  return status;
}

const char* HealthName(Health h) {
  switch (h) {
    case Health::kServing: return "SERVING";
    case Health::kNotServing: return "NOT_SERVING";
    case Health::kServiceUnknown: return "SERVICE_UNKNOWN";
    default: return "UNKNOWN";
  }
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         Health* out, int deadline_ms) {
  // HealthCheckRequest { string service = 1; }
  std::string request;
  if (!service.empty() && service.size() < 128) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  std::string response;
  grpc::Status status =
      RawUnaryCall(channel, &context, "/grpc.health.v1.Health/Check", request, &response);
  *out = Health::kUnknown;
  // HealthCheckResponse { ServingStatus status = 1; } → 0x08 <varint>
  if (status.ok() && response.size() == 2 && response[0] == 0x08) {
    *out = static_cast<Health>(response[1]);
  }
  return status;
}

}  // namespace iop::client
