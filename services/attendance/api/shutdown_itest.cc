// A replica stopping while check-ins wait for their batch: the batch is held
// in the database past the drain's grace period, so the server gives up on
// the calls before their batch is written. Stopping must still wait for the
// batch (its answers run on this replica's pool and reach into its API), end
// every call, and lose nothing: a client told an error retries with the same
// request_id on another replica and gets exactly one record.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "attendance/testing/world.h"

namespace iop::attendance::testing {
namespace {

constexpr int kClients = 12;

TEST(AttendanceShutdownTest, StoppingWhileCheckInsWaitForTheirBatchEndsEveryCallAndLosesNone) {
  FakeScheduling fake;
  AttendanceUnderTest survivor(fake.address(), "att_stop");
  auto stopping = std::make_unique<AttendanceUnderTest>(fake.address(), survivor,
                                                        [](config::Config& c) { c.drain_seconds = 1; });
  World w(fake, "stop", kClients + 1);
  const std::string session = w.AddSession("s-stop", absl::Now() - absl::Minutes(30), 180);
  // The program's rules stored by a first check-in: the rest go in batches.
  v1::AttendanceRecord first;
  ASSERT_TRUE(CheckIn(*stopping->Stub(), w.As("front_desk"), session, w.clients[kClients], "", &first).ok());

  // An uncommitted key of client 0's request holds its batch at the key's insert.
  pqxx::connection blocker(survivor.database_url());
  pqxx::work hold(blocker);
  hold.exec_params0(
      "INSERT INTO idempotency_keys (org_id, method, request_id, fingerprint) VALUES ($1, 'CheckIn', 'stop-0', '')",
      w.org);
  pqxx::connection observer(survivor.database_url());

  std::vector<grpc::Status> first_answer(kClients);
  std::atomic<int> sent{0}, answered{0};
  std::vector<std::thread> callers;
  auto check_in = [&](int i) {
    auto stub = stopping->Stub();
    v1::AttendanceRecord r;
    ++sent;
    first_answer[i] = CheckIn(*stub, w.As("front_desk"), session, w.clients[i], "stop-" + std::to_string(i), &r);
    ++answered;
  };
  callers.emplace_back(check_in, 0);
  ASSERT_TRUE(iop::testing::Eventually([&] { return WaitingOnLocks(observer) == 1; }));
  for (int i = 1; i < kClients; ++i) callers.emplace_back(check_in, i);
  ASSERT_TRUE(iop::testing::Eventually(
      [&] { return sent == kClients && stopping->app().runtime().workers().queued() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // One check-in waits in the database, the others behind it for the next batch.
  ASSERT_EQ(answered.load(), 0);
  ASSERT_EQ(WaitingOnLocks(observer), 1);

  // Stop the replica; let the batch go only after the grace period is over.
  auto stopped = std::async(std::launch::async, [&] { stopping.reset(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the replica stopped while its batch was still being written";
  hold.abort();
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "stopping never ended";
  for (auto& t : callers) t.join();

  // Every call ended: written, or refused for the stop (never hung to its deadline).
  int ok = 0;
  for (const grpc::Status& s : first_answer) {
    if (s.ok()) {
      ++ok;
      continue;
    }
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::CANCELLED)
        << s.error_code() << " " << s.error_message();
  }
  std::printf("%d of %d check-ins answered OK before the stop\n", ok, kClients);

  // The callers retry on the replica still serving: each gets its one record.
  auto stub = survivor.Stub();
  for (int i = 0; i < kClients; ++i) {
    v1::AttendanceRecord r;
    grpc::Status s = CheckIn(*stub, w.As("front_desk"), session, w.clients[i], "stop-" + std::to_string(i), &r);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
    EXPECT_EQ(r.client_id(), w.clients[i]);
    EXPECT_EQ(r.version(), 1);
  }
  EXPECT_EQ(RecordRows(survivor.database_url(), w.org), kClients + 1);
}

}  // namespace
}  // namespace iop::attendance::testing
