// Feeds arbitrary bytes as requests of every unary RPC of one service
// through its real handlers (in-process server, real PostgreSQL and Redis).
// Input layout: byte 0 picks the method (modulo the number of unary methods),
// the rest is the serialized request as it would arrive on the wire.
//
// A crash, a sanitizer report, a hang (deadline), an INTERNAL/UNKNOWN answer
// or an audit record that could not be written is a finding: bad input must
// get a clear status, never a fault, and every call leaves its audit record.
#pragma once

#include <google/protobuf/descriptor.h>
#include <prometheus/counter.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/raw_call.h"
#include "support/service_harness.h"

namespace iop::fuzz {

// The org of the fuzzer's token, new in every run (cached answers of peers
// live in the shared test Redis, keyed by org); peers put their data under it.
inline const std::string& FuzzOrg() {
  static const std::string org =
      "fuzz-org-" + std::to_string(::getpid()) + "-" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  return org;
}

// Services the fuzzed one calls (a stand-in scheduling service, say): kept
// alive for the whole run, and `configure` points the service at them.
struct Peers {
  std::shared_ptr<void> keep_alive;
  std::function<void(config::Config&)> configure;
};

template <class App>
class ServiceFuzzer {
 public:
  // The one service of the run. libFuzzer (and the corpus driver) end the
  // run with exit(); the service is shut down from an atexit handler, which
  // runs before the library globals are destroyed. Left running, its health
  // probe queried PostgreSQL while exit() was freeing libpqxx's globals.
  // `make_peers` runs once, before the service starts.
  static ServiceFuzzer& Instance(const char* name, const google::protobuf::ServiceDescriptor* service,
                                 const std::function<Peers()>& make_peers = nullptr) {
    static ServiceFuzzer* instance = nullptr;
    if (instance == nullptr) {
      instance = new ServiceFuzzer(name, service, make_peers ? make_peers() : Peers{});
      std::atexit([] {
        delete instance;
        instance = nullptr;
      });
    }
    return *instance;
  }

  ServiceFuzzer(const char* name, const google::protobuf::ServiceDescriptor* service, Peers peers)
      : peers_(std::move(peers)),
        service_(name, testing::RedisUrl(), peers_.configure),
        token_(testing::Token(FuzzOrg(), "admin")),
        // The registry merges same-named families: this is AuditLog's counter.
        audit_failures_(prometheus::BuildCounter()
                            .Name("iop_audit_write_failures_total")
                            .Help("Audit events that could not be written")
                            .Register(service_.app().runtime().metrics().registry())
                            .Add({})) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      if (!m->client_streaming() && !m->server_streaming()) {
        methods_.push_back("/" + service->full_name() + "/" + m->name());
      }
    }
    channel_ = service_.Channel();
  }

  void Run(const uint8_t* data, size_t size) {
    if (size == 0 || methods_.empty()) return;
    const std::string& method = methods_[data[0] % methods_.size()];
    std::string request(reinterpret_cast<const char*>(data + 1), size - 1);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::string response;
    const double audit_failures_before = audit_failures_.Value();
    grpc::Status status = client::RawUnaryCall(channel_, &context, method, request, &response);
    if (trace_) {  // IOP_FUZZ_TRACE=1: how far each input got, for seed authors
      std::fprintf(stderr, "%s -> %d %s\n", method.c_str(), static_cast<int>(status.error_code()),
                   status.error_message().c_str());
    }
    switch (status.error_code()) {
      case grpc::StatusCode::INTERNAL:
      case grpc::StatusCode::UNKNOWN:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        std::fprintf(stderr, "finding: %s answered %d: %s\n", method.c_str(),
                     static_cast<int>(status.error_code()), status.error_message().c_str());
        std::abort();
      default:
        break;
    }
    // The audit record is written before the answer is sent.
    if (audit_failures_.Value() != audit_failures_before) {
      std::fprintf(stderr, "finding: %s answered %d but its audit record was not written\n",
                   method.c_str(), static_cast<int>(status.error_code()));
      std::abort();
    }
  }

  const std::vector<std::string>& methods() const { return methods_; }

 private:
  Peers peers_;  // declared first: outlives the service that calls them
  testing::InProcess<App> service_;
  std::string token_;
  prometheus::Counter& audit_failures_;
  std::vector<std::string> methods_;
  std::shared_ptr<grpc::Channel> channel_;
  const bool trace_ = std::getenv("IOP_FUZZ_TRACE") != nullptr;
};

}  // namespace iop::fuzz
