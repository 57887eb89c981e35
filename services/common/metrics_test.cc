#include "common/metrics.h"

#include <gtest/gtest.h>

#include <atomic>

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

}  // namespace
}  // namespace iop::metrics
