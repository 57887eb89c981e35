#include "common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "common/files.h"
#include "common/log.h"

namespace iop::server {
namespace {

constexpr auto kProbePeriod = std::chrono::seconds(1);
// How long no call may arrive before the transport closes during a drain.
constexpr auto kQuietBeforeClose = std::chrono::milliseconds(250);
constexpr int kMaxConnectionAgeMs = 5 * 60 * 1000;

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const config::TlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back({files::ReadAll(tls.key_file), files::ReadAll(tls.cert_file)});
  if (!tls.client_ca_file.empty()) options.pem_root_certs = files::ReadAll(tls.client_ca_file);
  return grpc::SslServerCredentials(options);
}

ServiceHost::ServiceHost(const config::Config& config, metrics::Metrics& metrics,
                         std::function<bool()> probe, Drain* drain)
    : config_(config), metrics_(metrics), probe_(std::move(probe)), drain_(drain) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service) { services_.push_back(service); }

void ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc_metrics_ = std::make_unique<metrics::GrpcServerMetrics>(metrics_.registry());

  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_addr, MakeServerCredentials(config_.tls), &port_);
  // Larger requests fail with RESOURCE_EXHAUSTED before any handler runs.
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  // Clients reconnect (and resolve the name again) every few minutes, so
  // peers spread their calls over replicas that started after they
  // connected. Open calls, long watches included, run on to their end: no
  // grace limit is set.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, kMaxConnectionAgeMs);
  for (auto* s : services_) builder.RegisterService(s);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(metrics::MakeInterceptorFactory(*grpc_metrics_));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    throw std::runtime_error("cannot listen on IOP_GRPC_ADDR=" + config_.grpc_addr);
  }
  if (!config_.health_addr.empty()) {
    // Health only: probes get the same answer without TLS, and nothing
    // of the API is reachable on this port.
    grpc::ServerBuilder health;
    health.AddListeningPort(config_.health_addr, grpc::InsecureServerCredentials(), &health_port_);
    health_server_ = health.BuildAndStart();
    if (!health_server_ || health_port_ == 0) {
      throw std::runtime_error("cannot listen on IOP_HEALTH_ADDR=" + config_.health_addr);
    }
  }
  SetServing(probe_());
  probe_thread_ = std::thread([this] { ProbeLoop(); });
  log::Info("serving", {{"service", config_.service}, {"grpc_addr", config_.grpc_addr},
                        {"port", port_}, {"tls", config_.tls.enabled()},
                        {"mtls", !config_.tls.client_ca_file.empty()}});
}

void ServiceHost::SetServing(bool serving) {
  bool was = serving_.exchange(serving);
  if (server_) server_->GetHealthCheckService()->SetServingStatus(serving);
  if (health_server_) health_server_->GetHealthCheckService()->SetServingStatus(serving);
  if (was != serving) {
    log::Write(serving ? log::Level::kInfo : log::Level::kWarn, "health changed",
               {{"service", config_.service}, {"status", serving ? "SERVING" : "NOT_SERVING"}});
  }
}

void ServiceHost::ProbeNow() {
  if (!stopping_) SetServing(probe_());
}

void ServiceHost::ProbeLoop() {
  std::unique_lock<std::mutex> lock(probe_mu_);
  while (!stopping_) {
    probe_cv_.wait_for(lock, kProbePeriod, [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    ProbeNow();
    lock.lock();
  }
}

void ServiceHost::WaitForTermination() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("termination signal, draining",
            {{"service", config_.service}, {"signal", sig}, {"grace_seconds", config_.drain_seconds}});
  Shutdown();
}

void ServiceHost::Shutdown() {
  if (stopping_.exchange(true)) return;
  probe_cv_.notify_all();
  if (probe_thread_.joinable()) probe_thread_.join();
  if (!server_) return;
  // Tell balancers first; refuse new calls (UNAVAILABLE) while in-flight
  // ones finish and clients stop coming; then close the transport with what
  // is left of the grace period.
  const auto grace_end = std::chrono::steady_clock::now() + std::chrono::seconds(config_.drain_seconds);
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_) health_server_->GetHealthCheckService()->SetServingStatus(false);
  if (drain_ != nullptr) {
    drain_->Close();
    if (!drain_->WaitUntilQuiet(kQuietBeforeClose, grace_end)) {
      log::Warn("grace period over with calls in flight",
                {{"service", config_.service}, {"in_flight", drain_->in_flight()}});
    }
  }
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::max(grace_end - std::chrono::steady_clock::now(),
                             std::chrono::steady_clock::duration::zero()));
  server_->Wait();
  if (health_server_) health_server_->Shutdown(std::chrono::system_clock::now());
  log::Info("stopped", {{"service", config_.service}});
}

}  // namespace iop::server
