// The iop-scheduling binary as operators run it: configuration errors,
// replicas starting together on one database, SIGTERM.
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "common/raw_call.h"
#include "support/process.h"
#include "support/test_env.h"

namespace iop {
namespace {

using std::chrono::seconds;

const std::string kBinary = std::string(IOP_BIN_DIR) + "/iop-scheduling";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::map<std::string, std::string> Env(const std::string& db_url, int port) {
  return {{"IOP_GRPC_ADDR", "127.0.0.1:" + std::to_string(port)},
          {"IOP_METRICS_ADDR", "127.0.0.1:" + std::to_string(testing::FreePort())},
          {"IOP_DATABASE_URL", db_url},
          {"IOP_REDIS_URL", testing::RedisUrl()},
          {"IOP_JWT_SECRET", std::string(40, 'p')},
          {"IOP_DRAIN_SECONDS", "5"}};
}

bool WaitServing(int port, seconds timeout) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    client::Health h;
    if (client::CheckHealth(channel, "", &h, 500).ok() && h == client::Health::kServing) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(ProcessTest, BadConfigurationFailsWithOneClearLine) {
  testing::ScratchDatabase db("proc_cfg");
  auto env = Env(db.url(), testing::FreePort());
  env["IOP_GRPC_ADDR"] = "not-an-address";
  std::string err = ::testing::TempDir() + "/bad_config.err";
  testing::ChildProcess p(kBinary, env, err);
  EXPECT_EQ(p.Wait(std::chrono::milliseconds(10000)), 2);
  std::string text = ReadFile(err);
  EXPECT_NE(text.find("IOP_GRPC_ADDR"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;

  env = Env(db.url(), testing::FreePort());
  env.erase("IOP_JWT_SECRET");
  testing::ChildProcess no_secret(kBinary, env, err);
  EXPECT_EQ(no_secret.Wait(std::chrono::milliseconds(10000)), 2);
  EXPECT_NE(ReadFile(err).find("IOP_JWT_SECRET"), std::string::npos);
}

TEST(ProcessTest, TwoReplicasStartTogetherThenDrainOnSigterm) {
  testing::ScratchDatabase db("proc_two");
  int port_a = testing::FreePort(), port_b = testing::FreePort();
  testing::ChildProcess a(kBinary, Env(db.url(), port_a), ::testing::TempDir() + "/replica_a.err");
  testing::ChildProcess b(kBinary, Env(db.url(), port_b), ::testing::TempDir() + "/replica_b.err");
  ASSERT_TRUE(WaitServing(port_a, seconds(30))) << ReadFile(::testing::TempDir() + "/replica_a.err");
  ASSERT_TRUE(WaitServing(port_b, seconds(30))) << ReadFile(::testing::TempDir() + "/replica_b.err");

  // Each migration was applied exactly once although both raced for it.
  pqxx::connection conn(db.url());
  pqxx::nontransaction tx(conn);
  auto r = tx.exec("SELECT scope, version, count(*) FROM schema_migrations GROUP BY 1, 2 HAVING count(*) > 1");
  EXPECT_TRUE(r.empty());
  EXPECT_GT(tx.exec("SELECT 1 FROM schema_migrations WHERE scope = 'scheduling'").size(), 0u);

  auto start = std::chrono::steady_clock::now();
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.Wait(std::chrono::milliseconds(10000)), 0);
  EXPECT_EQ(b.Wait(std::chrono::milliseconds(10000)), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(7));  // within the 5 s grace
  EXPECT_NE(ReadFile(::testing::TempDir() + "/replica_a.err").find("\"msg\":\"stopped\""), std::string::npos);
}

}  // namespace
}  // namespace iop
