#include "common/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/worker_pool.h"

namespace iop::metrics {
namespace {

double FindValue(prometheus::Registry& r, const std::string& family, const std::string& label,
                 const std::string& value) {
  for (const auto& f : r.Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        if (l.name == label && l.value == value) return m.counter.value;
      }
    }
  }
  return -1;
}

TEST(MetricsTest, SplitsFullMethodName) {
  MethodName m = SplitMethod("/iop.scheduling.v1.SchedulingService/GetSite");
  EXPECT_EQ(m.service, "iop.scheduling.v1.SchedulingService");
  EXPECT_EQ(m.method, "GetSite");
  EXPECT_EQ(SplitMethod(nullptr).service, "unknown");
}

TEST(MetricsTest, HandledCountsUseGoGrpcPrometheusLabels) {
  prometheus::Registry registry;
  GrpcServerMetrics m(registry);
  auto& per = m.For("/iop.scheduling.v1.SchedulingService/GetSite", "unary");
  EXPECT_EQ(&per, &m.For("/iop.scheduling.v1.SchedulingService/GetSite", "unary"));
  m.Handled(per, grpc::StatusCode::NOT_FOUND);
  m.Handled(per, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(FindValue(registry, "grpc_server_handled_total", "grpc_code", "NotFound"), 2);
}

TEST(MetricsTest, ProcessCollectorReportsMemory) {
  auto c = MakeProcessCollector();
  bool found = false;
  for (const auto& f : c->Collect()) {
    if (f.name == "process_resident_memory_bytes") {
      found = true;
      EXPECT_GT(f.metric[0].gauge.value, 1024 * 1024);
    }
  }
  EXPECT_TRUE(found);
}

TEST(WorkerPoolTest, RunsEveryTaskBeforeJoining) {
  std::atomic<int> done{0};
  {
    server::WorkerPool pool(3);
    for (int i = 0; i < 100; ++i) pool.Post([&] { done++; });
  }
  EXPECT_EQ(done.load(), 100);
}

TEST(MetricsTest, StoppingTheEndpointTakesMillisecondsNotTheListenersWait) {
  using namespace std::chrono_literals;
  // Left alone, civetweb's listener sees the stop only when its 2 s wait on
  // the socket ends; both a loopback and an any-address listener are woken.
  for (const char* address : {"127.0.0.1:0", "0.0.0.0:0"}) {
    Metrics m;
    m.Serve(address);
    ASSERT_GT(m.port(), 0) << address;
    std::this_thread::sleep_for(100ms);  // the listener is inside its wait
    const auto start = std::chrono::steady_clock::now();
    m.StopServing();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << address;
    EXPECT_EQ(m.port(), 0) << address;
  }
}

}  // namespace
}  // namespace iop::metrics
