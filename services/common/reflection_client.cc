// Client side: a minimal client of grpc.reflection.v1alpha.ServerReflection: asks for the
// list of services. The two messages are encoded by hand so iopctl does not
// depend on the reflection protos being installed.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>

#include "common/raw_call.h"

namespace iop::client {
namespace {

namespace io = google::protobuf::io;

// Reads field `field` (length-delimited) values of a message.
std::vector<std::string> Fields(const std::string& bytes, uint32_t field) {
  std::vector<std::string> out;
  io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    if ((tag >> 3) == field && (tag & 7) == 2) {
      uint32_t len = 0;
      std::string value;
      if (!in.ReadVarint32(&len) || !in.ReadString(&value, static_cast<int>(len))) break;
      out.push_back(std::move(value));
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return out;
}

bool Wait(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

}  // namespace

grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                      std::vector<std::string>* services) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(nullptr);
  grpc::Status status;
  // ServerReflectionRequest { string list_services = 7; } with an empty value.
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  grpc::ByteBuffer in;
  bool ok = Wait(cq);
  if (ok) {
    call->Write(out, nullptr);
    ok = Wait(cq);
  }
  if (ok) {
    call->Read(&in, nullptr);
    ok = Wait(cq);
  }
  call->WritesDone(nullptr);
  Wait(cq);
  call->Finish(&status, nullptr);
  Wait(cq);
  cq.Shutdown();
  void* tag;
  bool drained;
  while (cq.Next(&tag, &drained)) {
  }
  if (!status.ok()) return status;
  if (!ok) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "reflection stream failed");
  std::vector<grpc::Slice> slices;
  (void)in.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // ServerReflectionResponse.list_services_response = 6 → service = 1 → name = 1
  for (const auto& list : Fields(bytes, 6)) {
    for (const auto& service : Fields(list, 1)) {
      for (const auto& name : Fields(service, 1)) services->push_back(name);
    }
  }
  return status;
}

}  // namespace iop::client
