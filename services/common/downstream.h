// Calls from one service to another: one channel per peer (made once, so no
// call pays for a connection), the caller's credentials forwarded, a
// deadline on every call, and the peer's failures mapped to what our caller
// should see.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/call.h"
#include "common/config.h"

namespace iop::server {

class Downstream {
 public:
  // `name` is the peer's service name for messages ("scheduling").
  Downstream(std::string name, const std::string& address, const config::TlsConfig& tls,
             std::chrono::milliseconds deadline = std::chrono::milliseconds(2000));

  const std::string& name() const { return name_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // A context for one call made on behalf of `call`: same authorization,
  // a deadline no later than our own caller's.
  std::unique_ptr<grpc::ClientContext> ContextFor(const Call& call) const;

  // Throws errors::RpcError unless `status` is OK: UNAVAILABLE when the peer
  // is unreachable, slow or failing (so clients retry), NOT_FOUND /
  // PERMISSION_DENIED / INVALID_ARGUMENT passed through with the peer named.
  void Check(const grpc::Status& status, const std::string& what) const;

 private:
  std::string name_;
  std::shared_ptr<grpc::Channel> channel_;
  std::chrono::milliseconds deadline_;
};

// Client credentials matching the server side's IOP_TLS_* settings: TLS with
// the CA when one is configured (and our cert/key for mTLS), else insecure.
std::shared_ptr<grpc::ChannelCredentials> MakeClientCredentials(const config::TlsConfig& tls);

}  // namespace iop::server
