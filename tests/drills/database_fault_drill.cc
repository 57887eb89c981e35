// Drill: the database of a running iop-scheduling process restarts and then
// goes away for a while, under a write load whose clients retry with the same
// request_id until they get an answer. Afterwards every acknowledged write is
// there exactly once, and health followed the database: NOT_SERVING while it
// was away, SERVING again after.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/raw_call.h"
#include "drills/drill_support.h"
#include "drills/postgres_server.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "support/process.h"
#include "support/service_harness.h"
#include "support/test_env.h"

namespace iop::drills {
namespace {

namespace v1 = ::iop::scheduling::v1;
using testing::Token;
using testing::WithToken;

const std::string kBinary = std::string(IOP_BIN_DIR) + "/iop-scheduling";
constexpr int kWriters = 4;
constexpr int kMaxWritesPerWriter = 2000;
// Paces the writers so the load spans the whole drill (about 90 writes/s each).
constexpr auto kPause = Millis(10);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// What a writer was told: the id the service returned for each name.
struct Acknowledged {
  std::mutex mu;
  std::map<std::string, std::string> client_by_ref, site_by_name;
};

class DatabaseFaultDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_.CreateDatabase("scheduling");
    port_ = testing::FreePort();
    stderr_file_ = ::testing::TempDir() + "/drill_db_fault.err";
    process_ = std::make_unique<testing::ChildProcess>(
        kBinary,
        std::map<std::string, std::string>{{"IOP_GRPC_ADDR", "127.0.0.1:" + std::to_string(port_)},
                                           {"IOP_METRICS_ADDR", "127.0.0.1:" + std::to_string(testing::FreePort())},
                                           {"IOP_DATABASE_URL", pg_.Url("scheduling")},
                                           {"IOP_REDIS_URL", redis_.url()},
                                           {"IOP_JWT_SECRET", testing::kTestSecret},
                                           {"IOP_DB_POOL_SIZE", "4"},
                                           {"IOP_DRAIN_SECONDS", "3"}},
        stderr_file_);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
    stub_ = v1::SchedulingService::NewStub(channel_);
    ASSERT_TRUE(WaitForHealth(channel_, client::Health::kServing, Millis(30000))) << ReadFile(stderr_file_);
  }

  // Creates clients (unique external_ref) and sites (unique display_name)
  // until told to stop, each retried with its request_id until answered.
  void Writer(int w) {
    for (int i = 0; i < kMaxWritesPerWriter && !stop_; ++i) {
      const std::string tag = "w" + std::to_string(w) + "-" + std::to_string(i);
      grpc::Status s;
      if (i % 2 == 0) {
        v1::CreateClientRequest req;
        req.mutable_client()->set_display_name("client " + tag);
        req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
        req.mutable_client()->set_external_ref("ext-" + tag);
        req.set_request_id("create-client-" + tag);
        v1::Client c;
        s = RetryUntilAnswered(
            "CreateClient", [&] { return stub_->CreateClient(WithToken(admin_, 3000).get(), req, &c); }, outcomes_,
            &retries_[w]);
        if (s.ok()) {
          std::lock_guard lock(acked_.mu);
          acked_.client_by_ref[c.external_ref()] = c.id();
        }
      } else {
        v1::CreateSiteRequest req;
        req.mutable_site()->set_display_name("site " + tag);
        req.mutable_site()->set_time_zone("America/Denver");
        req.set_request_id("create-site-" + tag);
        v1::Site site;
        s = RetryUntilAnswered(
            "CreateSite", [&] { return stub_->CreateSite(WithToken(admin_, 3000).get(), req, &site); }, outcomes_,
            &retries_[w]);
        if (s.ok()) {
          std::lock_guard lock(acked_.mu);
          acked_.site_by_name[site.display_name()] = site.id();
        }
      }
      if (!s.ok()) ++unanswered_;
      std::this_thread::sleep_for(kPause);
    }
  }

  std::vector<v1::Client> AllClients() {
    std::vector<v1::Client> out;
    v1::ListClientsRequest req;
    req.set_page_size(500);
    for (int page = 0; page < 50; ++page) {
      v1::ListClientsResponse resp;
      grpc::Status s = stub_->ListClients(WithToken(admin_).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.clients().begin(), resp.clients().end());
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }
  std::vector<v1::Site> AllSites() {
    std::vector<v1::Site> out;
    v1::ListSitesRequest req;
    req.set_page_size(500);
    for (int page = 0; page < 50; ++page) {
      v1::ListSitesResponse resp;
      grpc::Status s = stub_->ListSites(WithToken(admin_).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.sites().begin(), resp.sites().end());
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  PostgresServer pg_;
  testing::RedisProcess redis_;
  int port_ = 0;
  std::string stderr_file_;
  std::unique_ptr<testing::ChildProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  const std::string admin_ = Token("org-drill-db", "admin");
  Acknowledged acked_;
  Outcomes outcomes_;
  int retries_[kWriters] = {};
  std::atomic<int> unanswered_{0};
  std::atomic<bool> stop_{false};
};

TEST_F(DatabaseFaultDrill, EveryAcknowledgedWriteSurvivesExactlyOnceAndHealthFollowsTheDatabase) {
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back([this, w] { Writer(w); });

  std::this_thread::sleep_for(Millis(1000));
  pg_.Restart();  // every pooled connection dies under the writers
  std::this_thread::sleep_for(Millis(1000));

  pg_.Stop();
  const auto stopped = Clock::now();
  const bool went_not_serving = WaitForHealth(channel_, client::Health::kNotServing, Millis(10000));
  const double not_serving_after = ToMillis(Clock::now() - stopped);
  std::this_thread::sleep_for(Millis(500));  // writers keep retrying against a dead database
  pg_.Start();
  const auto started = Clock::now();
  const bool serving_again = WaitForHealth(channel_, client::Health::kServing, Millis(15000));
  const double serving_after = ToMillis(Clock::now() - started);
  std::this_thread::sleep_for(Millis(1000));  // writes succeed again
  stop_ = true;
  for (auto& t : writers) t.join();

  EXPECT_TRUE(went_not_serving) << "health stayed SERVING while the database was stopped";
  EXPECT_TRUE(serving_again) << "health did not return to SERVING\n" << ReadFile(stderr_file_);
  int retries = 0;
  for (int r : retries_) retries += r;
  std::printf("drill: %d answers (%s), %d retries; NOT_SERVING after %.0f ms, SERVING again after %.0f ms\n",
              outcomes_.Total(), outcomes_.Summary().c_str(), retries, not_serving_after, serving_after);

  // Every write got an answer, and only retryable failures came before it.
  EXPECT_EQ(unanswered_, 0) << outcomes_.Summary();
  EXPECT_EQ(outcomes_.CountOutside({grpc::StatusCode::OK, grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::ABORTED,
                                    grpc::StatusCode::DEADLINE_EXCEEDED}),
            0)
      << outcomes_.Summary();
  EXPECT_GT(retries, 0) << "no write ever met the outage; the drill proved nothing";
  ASSERT_GT(acked_.client_by_ref.size(), 20u);
  ASSERT_GT(acked_.site_by_name.size(), 20u);

  // Exactly once: each acknowledged write is stored once, under the id its
  // writer was given, and nothing else was stored.
  std::map<std::string, std::vector<std::string>> clients, sites;
  for (const auto& c : AllClients()) clients[c.external_ref()].push_back(c.id());
  for (const auto& s : AllSites()) sites[s.display_name()].push_back(s.id());
  auto stored = [](const std::map<std::string, std::vector<std::string>>& rows, const std::string& key) {
    auto it = rows.find(key);
    return it == rows.end() ? std::vector<std::string>{} : it->second;
  };
  for (const auto& [ref, id] : acked_.client_by_ref) {
    EXPECT_EQ(stored(clients, ref), std::vector<std::string>{id}) << "client " << ref;
  }
  for (const auto& [name, id] : acked_.site_by_name) {
    EXPECT_EQ(stored(sites, name), std::vector<std::string>{id}) << name;
  }
  EXPECT_EQ(clients.size(), acked_.client_by_ref.size());
  EXPECT_EQ(sites.size(), acked_.site_by_name.size());
}

}  // namespace
}  // namespace iop::drills
