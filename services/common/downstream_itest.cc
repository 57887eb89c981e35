// A peer with several replicas: one channel, calls spread over all of them.
#include "common/downstream.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/raw_call.h"

namespace iop::server {
namespace {

// A server whose health service answers "which" with `serving`, so a
// client can tell which of two replicas answered.
struct Replica {
  explicit Replica(bool serving) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    // Any callback service makes the server callback-driven, health included.
    builder.RegisterCallbackGenericService(&nothing_else);
    server = builder.BuildAndStart();
    server->GetHealthCheckService()->SetServingStatus("which", serving);
  }
  ~Replica() { server->Shutdown(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  grpc::CallbackGenericService nothing_else;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(DownstreamTest, CallsSpreadOverEveryReplicaThePeerNameResolvesTo) {
  Replica a(true), b(false);
  // What a headless Service's DNS name gives: one address per replica.
  const std::string both = "ipv4:" + a.address() + "," + b.address();
  Downstream peer("peer", both, config::TlsConfig{});
  int from_a = 0, from_b = 0;
  // Round robin uses a replica once its connection is ready; the first
  // calls may all go to whichever connected first.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0; i < 20 || ((from_a == 0 || from_b == 0) && std::chrono::steady_clock::now() < give_up); ++i) {
    client::Health health = client::Health::kUnknown;
    ASSERT_TRUE(client::CheckHealth(peer.channel(), "which", &health, 2000).ok());
    (health == client::Health::kServing ? from_a : from_b) += 1;
  }
  EXPECT_GT(from_a, 0);
  EXPECT_GT(from_b, 0);
}

}  // namespace
}  // namespace iop::server
