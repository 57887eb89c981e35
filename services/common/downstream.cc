#include "common/downstream.h"


#include "common/errors.h"
#include "common/files.h"
#include "common/log.h"

namespace iop::server {
std::shared_ptr<grpc::ChannelCredentials> MakeClientCredentials(const config::TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  // Peers in one deployment share the CA that signs client certificates.
  if (!tls.client_ca_file.empty()) options.pem_root_certs = files::ReadAll(tls.client_ca_file);
  options.pem_private_key = files::ReadAll(tls.key_file);
  options.pem_cert_chain = files::ReadAll(tls.cert_file);
  return grpc::SslCredentials(options);
}

Downstream::Downstream(std::string name, const std::string& address, const config::TlsConfig& tls,
                       std::chrono::milliseconds deadline)
    : name_(std::move(name)), deadline_(deadline) {
  grpc::ChannelArguments args;
  // Fail fast while the peer is down instead of queueing calls behind reconnects.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // One connection to every address the peer's name resolves to (a headless
  // Service: one per replica), calls spread over them in turn. With
  // pick_first every call of this replica would go to one peer replica.
  args.SetLoadBalancingPolicyName("round_robin");
  channel_ = grpc::CreateCustomChannel(address, MakeClientCredentials(tls), args);
}

std::unique_ptr<grpc::ClientContext> Downstream::ContextFor(const Call& call) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!call.authorization().empty()) ctx->AddMetadata("authorization", call.authorization());
  auto deadline = std::chrono::system_clock::now() + deadline_;
  if (call.context() != nullptr) deadline = std::min(deadline, call.context()->deadline());
  ctx->set_deadline(deadline);
  return ctx;
}

void Downstream::Check(const grpc::Status& status, const std::string& what) const {
  if (status.ok()) return;
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNAUTHENTICATED:
      errors::Throw(grpc::Status(status.error_code(), status.error_message(), status.error_details()));
    default:
      log::Warn("downstream call failed", {{"peer", name_}, {"call", what},
                                            {"code", errors::CodeName(status.error_code())},
                                            {"error", status.error_message()}});
      errors::Throw(errors::Unavailable("the " + name_ + " service is unavailable (" + what +
                                        "); nothing was written, retry later"));
  }
}

}  // namespace iop::server
