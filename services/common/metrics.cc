#include "common/metrics.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/errors.h"

namespace iop::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// Buckets of go-grpc-prometheus' defaults, with finer steps below 5 ms where
// a cached read lives.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case T::UNARY: return "unary";
    case T::CLIENT_STREAMING: return "client_stream";
    case T::SERVER_STREAMING: return "server_stream";
    case T::BIDI_STREAMING: return "bidi_stream";
    default: return "unknown";
  }
}

// Lifecycle: gRPC creates one interceptor per call and deletes it when the
// call is done; hooks run on the call's threads in order, so no locking.
class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics& metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics), method_(metrics.For(info->method(), TypeName(info->type()))) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* batch) override {
    using H = grpc::experimental::InterceptionHookPoints;
    if (batch->QueryInterceptionHookPoint(H::POST_RECV_INITIAL_METADATA)) {
      start_ = Clock::now();
      method_.started->Increment();
    }
    if (batch->QueryInterceptionHookPoint(H::POST_RECV_MESSAGE)) method_.msg_received->Increment();
    if (batch->QueryInterceptionHookPoint(H::PRE_SEND_MESSAGE)) method_.msg_sent->Increment();
    if (batch->QueryInterceptionHookPoint(H::PRE_SEND_STATUS)) {
      method_.handling_seconds->Observe(
          std::chrono::duration<double>(Clock::now() - start_).count());
      metrics_.Handled(method_, batch->GetSendStatus().error_code());
    }
    batch->Proceed();
  }

 private:
  GrpcServerMetrics& metrics_;
  GrpcServerMetrics::PerMethod& method_;
  Clock::time_point start_ = Clock::now();
};

class InterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  GrpcServerMetrics& metrics_;
};

// Opens and closes one TCP connection to host:port, ignoring failures.
void Knock(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    bool connected = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    ::close(fd);
    if (connected) break;
  }
  freeaddrinfo(found);
}

// Where to connect to reach a listener bound to `address` ("host:port").
std::string LoopbackHost(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

}  // namespace

Metrics::~Metrics() { StopServing(); }

// civetweb's listener looks at its stop flag only between waits of 2 s on
// its socket, so a plain stop takes up to 2 s (on every SIGTERM, and in
// every test that stops a service). A connection ends the wait: knock until
// the endpoint is gone.
void Metrics::StopServing() {
  if (!exposer_) return;
  const int bound = port();
  std::atomic<bool> stopped{false};
  std::thread knocker([&] {
    while (!stopped.load()) {
      Knock(host_, bound);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  exposer_.reset();
  stopped.store(true);
  knocker.join();
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()), process_(MakeProcessCollector()) {}

void Metrics::Serve(const std::string& address) {
  exposer_ = std::make_unique<prometheus::Exposer>(address);
  host_ = LoopbackHost(address);
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(process_);
}

int Metrics::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

MethodName SplitMethod(const char* full_method) {
  if (full_method == nullptr) return {"unknown", "unknown"};
  std::string_view s(full_method);
  if (!s.empty() && s.front() == '/') s.remove_prefix(1);
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return {"unknown", std::string(s)};
  return {std::string(s.substr(0, slash)), std::string(s.substr(slash + 1))};
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& r)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(r)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success or failure.")
                   .Register(r)),
      received_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_received_total")
                    .Help("Total number of RPC stream messages received on the server.")
                    .Register(r)),
      sent_(prometheus::BuildCounter()
                .Name("grpc_server_msg_sent_total")
                .Help("Total number of gRPC stream messages sent by the server.")
                .Register(r)),
      seconds_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.")
                   .Register(r)) {}

GrpcServerMetrics::PerMethod& GrpcServerMetrics::For(const char* full_method,
                                                     const std::string& type) {
  std::string key = full_method ? full_method : "";
  std::lock_guard<std::mutex> lock(mu_);
  auto it = methods_.find(key);
  if (it != methods_.end()) return *it->second;
  auto m = std::make_unique<PerMethod>();
  m->name = SplitMethod(full_method);
  m->type = type;
  prometheus::Labels labels = {
      {"grpc_type", type}, {"grpc_service", m->name.service}, {"grpc_method", m->name.method}};
  m->started = &started_.Add(labels);
  m->msg_received = &received_.Add(labels);
  m->msg_sent = &sent_.Add(labels);
  m->handling_seconds = &seconds_.Add(labels, kLatencyBuckets);
  return *methods_.emplace(key, std::move(m)).first->second;
}

void GrpcServerMetrics::Handled(const PerMethod& m, grpc::StatusCode code) {
  const auto index = static_cast<std::size_t>(code);
  prometheus::Counter* counter =
      index < m.handled.size() ? m.handled[index].load(std::memory_order_acquire) : nullptr;
  if (counter == nullptr) {
    // Family::Add builds a counter before it looks the labels up, so it is
    // called once per method and code, not once per call. Two threads racing
    // here get the same series back.
    counter = &handled_.Add({{"grpc_type", m.type},
                             {"grpc_service", m.name.service},
                             {"grpc_method", m.name.method},
                             {"grpc_code", errors::CodeLabel(code)}});
    if (index < m.handled.size()) m.handled[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory(
    GrpcServerMetrics& metrics) {
  return std::make_unique<InterceptorFactory>(metrics);
}

}  // namespace iop::metrics
