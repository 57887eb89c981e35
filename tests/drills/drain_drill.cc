// Drill: SIGTERM reaches iop-scheduling while calls are in flight. Those
// calls finish with OK (their writes held back by a table lock until after
// the signal, so they are provably in flight), calls made after the signal
// fail fast with UNAVAILABLE while a reader keeps calling, and the process
// exits 0 within IOP_DRAIN_SECONDS once the reader has stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "common/raw_call.h"
#include "drills/drill_support.h"
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
constexpr int kDrainSeconds = 4;
constexpr int kHeldCalls = 4;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::shared_ptr<grpc::Channel> NewChannel(int port) {
  // A fresh connection each time, so calls cannot share a transport that is
  // still draining.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
}

// Backends of `db` waiting for a lock (our held CreateClient calls).
int WaitingOnLock(pqxx::connection& conn, const std::string& db) {
  pqxx::nontransaction tx(conn);
  return tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", db)
      [0].as<int>();
}

TEST(DrainDrill, InFlightCallsFinishNewCallsFailFastAndTheProcessExitsWithinTheGrace) {
  testing::ScratchDatabase db("drill_drain");
  testing::RedisProcess redis;
  const int port = testing::FreePort();
  const std::string err = ::testing::TempDir() + "/drill_drain.err";
  testing::ChildProcess process(kBinary,
                                {{"IOP_GRPC_ADDR", "127.0.0.1:" + std::to_string(port)},
                                 {"IOP_METRICS_ADDR", "127.0.0.1:" + std::to_string(testing::FreePort())},
                                 {"IOP_DATABASE_URL", db.url()},
                                 {"IOP_REDIS_URL", redis.url()},
                                 {"IOP_JWT_SECRET", testing::kTestSecret},
                                 {"IOP_DRAIN_SECONDS", std::to_string(kDrainSeconds)}},
                                err);
  auto channel = NewChannel(port);
  ASSERT_TRUE(WaitForHealth(channel, client::Health::kServing, Millis(30000))) << ReadFile(err);
  auto stub = v1::SchedulingService::NewStub(channel);
  const std::string admin = Token("org-drill-drain", "admin");
  v1::CreateSiteRequest site_req;
  site_req.mutable_site()->set_display_name("Drain site");
  site_req.mutable_site()->set_time_zone("UTC");
  v1::Site site;
  ASSERT_TRUE(stub->CreateSite(WithToken(admin).get(), site_req, &site).ok());

  // Inserts into clients wait while we hold this lock; reads do not.
  pqxx::connection locker(db.url());
  auto lock = std::make_unique<pqxx::work>(locker);
  lock->exec0("LOCK TABLE clients IN SHARE MODE");

  std::vector<std::future<grpc::Status>> held;
  for (int i = 0; i < kHeldCalls; ++i) {
    held.push_back(std::async(std::launch::async, [&, i] {
      v1::CreateClientRequest req;
      req.mutable_client()->set_display_name("held " + std::to_string(i));
      req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
      req.set_request_id("held-" + std::to_string(i));
      v1::Client c;
      return stub->CreateClient(WithToken(admin, 15000).get(), req, &c);
    }));
  }
  // Background readers on their own connection: before the signal they are
  // answered, after it they are answered or refused, never left hanging.
  std::atomic<bool> stop{false}, signalled{false};
  Outcomes before_signal, after_signal;
  Latencies read_latency;
  std::thread reader([&] {
    auto read_stub = v1::SchedulingService::NewStub(NewChannel(port));
    v1::GetSiteRequest req;
    req.set_id(site.id());
    for (int i = 0; i < 2000 && !stop; ++i) {
      auto start = Clock::now();
      v1::Site got;
      grpc::Status s = read_stub->GetSite(WithToken(admin, 10000).get(), req, &got);
      read_latency.Add(Clock::now() - start);
      // A call that was still open when the signal went out may be refused.
      const bool ended_before_signal = !signalled;
      (ended_before_signal ? before_signal : after_signal).Add("GetSite", s);
      std::this_thread::sleep_for(Millis(5));
    }
  });

  pqxx::connection watcher(db.url());
  const auto wait_until = Clock::now() + std::chrono::seconds(10);
  while (WaitingOnLock(watcher, db.name()) < kHeldCalls && Clock::now() < wait_until) {
    std::this_thread::sleep_for(Millis(20));
  }
  ASSERT_GE(WaitingOnLock(watcher, db.name()), kHeldCalls) << "the held calls never reached the database";

  // The reader is connected and answered before the signal goes out.
  const auto answered_by = Clock::now() + std::chrono::seconds(10);
  while (before_signal.Total() == 0 && Clock::now() < answered_by) std::this_thread::sleep_for(Millis(10));
  ASSERT_GT(before_signal.Total(), 0) << "the reader never got an answer before the signal";

  const auto signal_time = Clock::now();
  signalled = true;
  process.Signal(SIGTERM);
  std::this_thread::sleep_for(Millis(500));  // the host starts draining

  // New calls, on a new connection and on the one holding the in-flight
  // calls: refused at once.
  for (int i = 0; i < 3; ++i) {
    for (auto& ch : {NewChannel(port), channel}) {
      auto new_stub = v1::SchedulingService::NewStub(ch);
      v1::GetSiteRequest req;
      req.set_id(site.id());
      v1::Site got;
      auto start = Clock::now();
      grpc::Status s = new_stub->GetSite(WithToken(admin, 5000).get(), req, &got);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << CodeName(s.error_code()) << " " << s.error_message();
      EXPECT_LT(ToMillis(Clock::now() - start), 1000) << "a new call during the drain waited instead of failing fast";
    }
  }

  // Let the held writes go well inside the grace period.
  std::this_thread::sleep_until(signal_time + Millis(1500));
  lock->commit();
  lock.reset();
  for (auto& f : held) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(kDrainSeconds + 2)), std::future_status::ready);
    grpc::Status s = f.get();
    EXPECT_TRUE(s.ok()) << "in-flight call: " << CodeName(s.error_code()) << " " << s.error_message();
  }

  // Clients stop coming once the replica is gone from their view; the host
  // closes its transport only after that (see common/drain.h).
  stop = true;
  reader.join();
  const int code = process.Wait(Millis((kDrainSeconds + 5) * 1000));
  const double exited_after = ToMillis(Clock::now() - signal_time);
  EXPECT_EQ(code, 0) << ReadFile(err);
  EXPECT_LT(exited_after, (kDrainSeconds + 1) * 1000.0) << "exit later than IOP_DRAIN_SECONDS allows";
  std::printf("drill: exit %d after %.0f ms; reads before signal: %s after: %s max read %.0f ms\n", code, exited_after,
              before_signal.Summary().c_str(), after_signal.Summary().c_str(), read_latency.Max());

  EXPECT_EQ(before_signal.CountOutside({grpc::StatusCode::OK}), 0) << before_signal.Summary();
  EXPECT_GT(before_signal.Total(), 0);
  EXPECT_EQ(after_signal.CountOutside({grpc::StatusCode::OK, grpc::StatusCode::UNAVAILABLE}), 0)
      << after_signal.Summary();
  EXPECT_LT(read_latency.Max(), 2000) << "a read hung during the drain";

  // The in-flight writes were committed, once each.
  pqxx::nontransaction check(watcher);
  EXPECT_EQ(check.exec1("SELECT count(*) FROM clients")[0].as<int>(), kHeldCalls);
}

}  // namespace
}  // namespace iop::drills
