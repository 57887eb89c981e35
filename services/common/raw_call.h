// Client-side helpers that need no generated stub: a unary call on raw bytes
// (iopctl's reflection-driven `call`) and the standard health check.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

namespace iop::client {

// Blocking unary call of `method` ("/pkg.Service/Method") with serialized
// request bytes; fills the serialized response.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          grpc::ClientContext* context, const std::string& method,
                          const std::string& request, std::string* response);

enum class Health { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
const char* HealthName(Health h);

// grpc.health.v1.Health/Check for `service` ("" = the whole server). The
// two messages are tiny, so they are encoded by hand.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         Health* out, int deadline_ms = 2000);

// Service names the server lists through grpc.reflection.v1alpha.
grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                      std::vector<std::string>* services);

}  // namespace iop::client
