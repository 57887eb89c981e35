// The shared runtime seen from outside a real service: the cache fails open
// when Redis dies or hangs, metrics are served in go-grpc-prometheus form,
// reflection lists the services, oversized requests are refused, request_ids
// are kept for their retention and no longer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <pqxx/pqxx>

#include "common/raw_call.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"
#include "support/http_get.h"
#include "support/service_harness.h"

namespace iop {
namespace {

namespace v1 = ::iop::scheduling::v1;
using Clock = std::chrono::steady_clock;
using testing::Token;
using testing::WithToken;

class RuntimeTest : public ::testing::Test {
 protected:
  void Start() {
    service_ = std::make_unique<testing::InProcess<scheduling::SchedulingApp>>("sys_rt", redis_.url());
    stub_ = v1::SchedulingService::NewStub(service_->Channel());
  }
  v1::Site CreateSite(const std::string& name) {
    v1::CreateSiteRequest req;
    req.mutable_site()->set_display_name(name);
    req.mutable_site()->set_time_zone("Europe/Berlin");
    v1::Site site;
    grpc::Status s = stub_->CreateSite(WithToken(admin_).get(), req, &site);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return site;
  }
  grpc::Status GetSite(const std::string& id, v1::Site* out = nullptr) {
    v1::GetSiteRequest req;
    req.set_id(id);
    v1::Site site;
    return stub_->GetSite(WithToken(admin_).get(), req, out ? out : &site);
  }
  std::string Metrics() { return testing::HttpGet(service_->metrics_port(), "/metrics"); }
  // Reads answered by the cache: from Redis or from the replica's own copy
  // (used only while Redis is reachable). A series not yet there counts 0.
  double Hits() {
    const std::string page = Metrics();
    double total = 0;
    for (const char* name : {"iop_cache_hits_total{cache=\"site\"}", "iop_cache_near_hits_total{cache=\"site\"}"}) {
      total += std::max(0.0, testing::MetricValue(page, name));
    }
    return total;
  }

  testing::RedisProcess redis_;
  std::unique_ptr<testing::InProcess<scheduling::SchedulingApp>> service_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  std::string admin_ = Token("org-runtime", "admin");
};

TEST_F(RuntimeTest, KillingRedisChangesNothingForCallersAndHitsReturnAfterRestart) {
  Start();
  v1::Site site = CreateSite("Cached");
  ASSERT_TRUE(GetSite(site.id()).ok());
  ASSERT_TRUE(GetSite(site.id()).ok());
  EXPECT_GE(Hits(), 1);

  redis_.Kill();
  for (int i = 0; i < 5; ++i) {
    v1::Site got;
    grpc::Status s = GetSite(site.id(), &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(got.display_name(), "Cached");
  }
  v1::Site while_down = CreateSite("Written while Redis is down");
  ASSERT_TRUE(GetSite(while_down.id()).ok());
  std::string page = Metrics();
  EXPECT_GT(testing::MetricValue(page, "iop_cache_errors_total{cache=\"site\",op=\"get\"}"), 0);
  EXPECT_EQ(testing::MetricValue(page, "iop_cache_up"), 0);

  redis_.Restart();
  double before = Hits();
  // The circuit retries after one second; hits come back on their own.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Hits() <= before + 1 && Clock::now() < deadline) {
    ASSERT_TRUE(GetSite(site.id()).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GT(Hits(), before + 1);
  EXPECT_EQ(testing::MetricValue(Metrics(), "iop_cache_up"), 1);
}

TEST_F(RuntimeTest, HungRedisCostsAtMostTheCacheTimeout) {
  Start();
  v1::Site site = CreateSite("Hung");
  ASSERT_TRUE(GetSite(site.id()).ok());
  redis_.Pause();
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    ASSERT_TRUE(GetSite(site.id()).ok());
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  }
  redis_.Resume();
}

TEST_F(RuntimeTest, MetricsUseGoGrpcPrometheusNamesAndProcessMetrics) {
  Start();
  v1::Site site = CreateSite("Metered");
  ASSERT_TRUE(GetSite(site.id()).ok());
  EXPECT_EQ(GetSite("missing").error_code(), grpc::StatusCode::NOT_FOUND);
  std::string page = Metrics();
  const std::string svc = "grpc_service=\"iop.scheduling.v1.SchedulingService\"";
  EXPECT_EQ(testing::MetricValue(page, "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"GetSite\"," + svc +
                                           ",grpc_type=\"unary\"}"),
            1);
  EXPECT_EQ(testing::MetricValue(page, "grpc_server_handled_total{grpc_code=\"NotFound\",grpc_method=\"GetSite\"," +
                                           svc + ",grpc_type=\"unary\"}"),
            1);
  EXPECT_EQ(testing::MetricValue(page, "grpc_server_started_total{grpc_method=\"CreateSite\"," + svc +
                                           ",grpc_type=\"unary\"}"),
            1);
  EXPECT_NE(page.find("grpc_server_handling_seconds_bucket{grpc_method=\"GetSite\""), std::string::npos);
  EXPECT_GT(testing::MetricValue(page, "process_resident_memory_bytes"), 0);
  EXPECT_GT(testing::MetricValue(page, "process_open_fds"), 0);
  EXPECT_NE(page.find("iop_db_query_duration_seconds"), std::string::npos);
}

TEST_F(RuntimeTest, ReflectionListsTheServices) {
  Start();
  std::vector<std::string> services;
  ASSERT_TRUE(client::ListServicesByReflection(service_->Channel(), &services).ok());
  EXPECT_NE(std::find(services.begin(), services.end(), "iop.scheduling.v1.SchedulingService"), services.end());
  EXPECT_NE(std::find(services.begin(), services.end(), "grpc.health.v1.Health"), services.end());
}

TEST_F(RuntimeTest, OversizedRequestIsResourceExhausted) {
  Start();
  v1::CreateSiteRequest req;
  req.mutable_site()->set_display_name(std::string(5 * 1024 * 1024, 'x'));
  req.mutable_site()->set_time_zone("UTC");
  v1::Site site;
  grpc::Status s = stub_->CreateSite(WithToken(admin_).get(), req, &site);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(RuntimeTest, RequestIdsPastTheirRetentionAreDeletedNewerOnesStillReplay) {
  service_ = std::make_unique<testing::InProcess<scheduling::SchedulingApp>>(
      "sys_rt", redis_.url(), [](config::Config& c) {
        c.request_id_retention_hours = 24;
        c.request_id_purge_period = std::chrono::milliseconds(100);
      });
  stub_ = v1::SchedulingService::NewStub(service_->Channel());
  auto create = [&](const std::string& request_id) {
    v1::CreateSiteRequest req;
    req.mutable_site()->set_display_name("Site " + request_id);
    req.mutable_site()->set_time_zone("UTC");
    req.set_request_id(request_id);
    v1::Site site;
    grpc::Status s = stub_->CreateSite(WithToken(admin_).get(), req, &site);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return site.id();
  };
  const std::string old_site = create("site-old");
  const std::string new_site = create("site-new");
  pqxx::connection c(service_->database_url());
  auto keys = [&](const std::string& request_id) {
    pqxx::nontransaction q(c);
    return q.exec_params1("SELECT count(*) FROM idempotency_keys WHERE request_id = $1", request_id)[0].as<int>();
  };
  {
    pqxx::nontransaction age(c);
    age.exec0("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE request_id = 'site-old'");
    age.exec0("UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE request_id = 'site-new'");
  }
  EXPECT_TRUE(iop::testing::Eventually([&] { return keys("site-old") == 0; })) << "the old key was never deleted";
  EXPECT_EQ(keys("site-new"), 1);
  // Within its retention a retry replays the first answer; past it, the
  // request is new again.
  EXPECT_EQ(create("site-new"), new_site);
  EXPECT_NE(create("site-old"), old_site);
}

}  // namespace
}  // namespace iop
