// ServiceHost's health follows its probe: SERVING only while the database
// answers, NOT_SERVING while it does not, and NOT_SERVING from shutdown on.
#include <gtest/gtest.h>

#include <atomic>

#include "common/raw_call.h"
#include "common/server.h"
#include "support/service_harness.h"

namespace iop {
namespace {

TEST(HostTest, HealthFollowsTheDatabaseProbe) {
  config::Config cfg = testing::TestConfig("host", "postgresql://unused", "redis://unused:1");
  metrics::Metrics metrics;
  std::atomic<bool> database_up{true};
  server::ServiceHost host(cfg, metrics, [&] { return database_up.load(); });
  host.Start();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host.port()),
                                     grpc::InsecureChannelCredentials());
  client::Health h;
  ASSERT_TRUE(client::CheckHealth(channel, "", &h).ok());
  EXPECT_EQ(h, client::Health::kServing);

  database_up = false;
  host.ProbeNow();
  ASSERT_TRUE(client::CheckHealth(channel, "", &h).ok());
  EXPECT_EQ(h, client::Health::kNotServing);

  // The periodic probe notices recovery by itself.
  database_up = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(client::CheckHealth(channel, "", &h).ok());
  } while (h != client::Health::kServing && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(h, client::Health::kServing);
  host.Shutdown();
  EXPECT_FALSE(client::CheckHealth(channel, "", &h, 500).ok() && h == client::Health::kServing);
}

}  // namespace
}  // namespace iop
