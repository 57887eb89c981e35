// Drill: Redis dies or hangs under a mixed read/write load. Callers must not
// notice anything but a little latency: no failed call, no read older than
// a write that was already acknowledged (to the writer or to anyone who saw
// the acknowledgement), and cache hits return once Redis is back.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include "drills/drill_support.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/app.h"
#include "support/http_get.h"
#include "support/service_harness.h"

namespace iop::drills {
namespace {

namespace v1 = ::iop::scheduling::v1;
using testing::Token;
using testing::WithToken;

constexpr int kWriters = 2;
constexpr int kReaders = 2;
constexpr auto kLoadTime = Millis(3000);
constexpr auto kFaultAt = Millis(1000);
constexpr auto kRecoverAt = Millis(2000);
constexpr int kMaxIterations = 5000;  // per thread, whatever the clock says

// "<prefix>-v<N>" names carry a version, so a reader can tell an old value.
std::string Versioned(const std::string& prefix, int version) { return prefix + "-v" + std::to_string(version); }
int VersionOf(const std::string& name) {
  auto at = name.rfind("-v");
  return at == std::string::npos ? -1 : std::stoi(name.substr(at + 2));
}

// What each writer owns and publishes once a write is acknowledged.
struct Owned {
  std::string group_id, program_id;
  std::atomic<int> group_version{0}, program_version{0};
};

struct Published {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> clients, sites;  // id, display_name
  void Add(std::vector<std::pair<std::string, std::string>>& list, const std::string& id, const std::string& name) {
    std::lock_guard lock(mu);
    list.emplace_back(id, name);
  }
  std::pair<std::string, std::string> Pick(std::vector<std::pair<std::string, std::string>>& list, std::mt19937& rng) {
    std::lock_guard lock(mu);
    if (list.empty()) return {};
    return list[rng() % list.size()];
  }
};

class CacheFaultDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<testing::InProcess<scheduling::SchedulingApp>>("drill_cache", redis_.url());
    stub_ = v1::SchedulingService::NewStub(service_->Channel());
    v1::CreateSiteRequest site;
    site.mutable_site()->set_display_name("Drill site");
    site.mutable_site()->set_time_zone("America/Chicago");
    ASSERT_TRUE(stub_->CreateSite(WithToken(admin_).get(), site, &site_).ok());
    for (auto& o : owned_) {
      v1::CreateProgramRequest p;
      p.mutable_program()->set_site_id(site_.id());
      p.mutable_program()->set_display_name(Versioned("program", 0));
      p.mutable_program()->set_age_group(v1::AGE_GROUP_ADULT);
      p.mutable_program()->set_focus(v1::PROGRAM_FOCUS_MENTAL_HEALTH);
      v1::Program program;
      ASSERT_TRUE(stub_->CreateProgram(WithToken(admin_).get(), p, &program).ok());
      o.program_id = program.id();
      v1::CreateGroupRequest g;
      g.mutable_group()->set_program_id(program.id());
      g.mutable_group()->set_display_name(Versioned("group", 0));
      g.mutable_group()->set_modality(iop::common::v1::MODALITY_CBT);
      auto* rec = g.mutable_group()->mutable_recurrence();
      rec->add_weekdays(iop::common::v1::WEEKDAY_MONDAY);
      rec->set_start_local_time("10:00");
      rec->set_duration_minutes(90);
      rec->set_starts_on("2030-03-04");
      v1::Group group;
      grpc::Status s = stub_->CreateGroup(WithToken(admin_).get(), g, &group);
      ASSERT_TRUE(s.ok()) << s.error_message();
      o.group_id = group.id();
    }
  }

  std::string Metrics() { return testing::HttpGet(service_->metrics_port(), "/metrics"); }
  // Reads answered by the cache: from Redis, or from the in-process copy
  // (which is only used while Redis is reachable and heard from).
  double Hits() {
    const std::string metrics = Metrics();
    return SumMetric(metrics, "iop_cache_hits_total") + SumMetric(metrics, "iop_cache_near_hits_total");
  }

  // Timed call: every answer goes to outcomes_, every duration to latency_.
  template <class Req, class Resp>
  grpc::Status Call(const char* method,
                    grpc::Status (v1::SchedulingService::Stub::*fn)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    auto start = Clock::now();
    grpc::Status s = (stub_.get()->*fn)(WithToken(admin_, 5000).get(), req, resp);
    const auto took = Clock::now() - start;
    latency_.Add(took);
    if (faulted_) fault_latency_.Add(took);
    outcomes_.Add(method, s);
    return s;
  }

  void Stale(const std::string& what) {
    std::lock_guard lock(stale_mu_);
    if (stale_.size() < 10) stale_.push_back(what);
    ++stale_count_;
  }

  void Writer(int w) {
    Owned& mine = owned_[w];
    std::string group_etag, program_etag;
    v1::Group g;
    v1::Program p;
    if (Call("GetGroup", &v1::SchedulingService::Stub::GetGroup, Get<v1::GetGroupRequest>(mine.group_id), &g).ok()) {
      group_etag = g.etag();
    }
    if (Call("GetProgram", &v1::SchedulingService::Stub::GetProgram, Get<v1::GetProgramRequest>(mine.program_id), &p)
            .ok()) {
      program_etag = p.etag();
    }
    for (int i = 0; i < kMaxIterations && !stop_; ++i) {
      const std::string tag = "w" + std::to_string(w) + "-" + std::to_string(i);
      switch (i % 4) {
        case 0: {
          v1::CreateClientRequest req;
          req.mutable_client()->set_display_name("client " + tag);
          req.mutable_client()->set_age_group(v1::AGE_GROUP_ADULT);
          req.mutable_client()->set_external_ref("ext-" + tag);
          req.set_request_id("req-" + tag);
          v1::Client c, back;
          if (!Call("CreateClient", &v1::SchedulingService::Stub::CreateClient, req, &c).ok()) break;
          if (!Call("GetClient", &v1::SchedulingService::Stub::GetClient, Get<v1::GetClientRequest>(c.id()), &back)
                   .ok()) {
            Stale("own client " + c.id() + " unreadable after create");
            break;
          }
          published_.Add(published_.clients, c.id(), c.display_name());
          break;
        }
        case 1: {
          v1::UpdateGroupRequest req;
          const int next = mine.group_version + 1;
          req.mutable_group()->set_id(mine.group_id);
          req.mutable_group()->set_etag(group_etag);
          req.mutable_group()->set_display_name(Versioned("group", next));
          req.mutable_update_mask()->add_paths("display_name");
          req.set_request_id("req-" + tag);
          v1::Group updated, back;
          if (!Call("UpdateGroup", &v1::SchedulingService::Stub::UpdateGroup, req, &updated).ok()) break;
          group_etag = updated.etag();
          mine.group_version = next;
          if (Call("GetGroup", &v1::SchedulingService::Stub::GetGroup, Get<v1::GetGroupRequest>(mine.group_id), &back)
                  .ok() &&
              VersionOf(back.display_name()) < next) {
            Stale("writer read group " + back.display_name() + " after acknowledged v" + std::to_string(next));
          }
          break;
        }
        case 2: {
          v1::CreateSiteRequest req;
          req.mutable_site()->set_display_name("site " + tag);
          req.mutable_site()->set_time_zone("Europe/Berlin");
          req.set_request_id("req-" + tag);
          v1::Site s, back;
          if (!Call("CreateSite", &v1::SchedulingService::Stub::CreateSite, req, &s).ok()) break;
          if (!Call("GetSite", &v1::SchedulingService::Stub::GetSite, Get<v1::GetSiteRequest>(s.id()), &back).ok()) {
            Stale("own site " + s.id() + " unreadable after create");
            break;
          }
          published_.Add(published_.sites, s.id(), s.display_name());
          break;
        }
        default: {
          v1::UpdateProgramRequest req;
          const int next = mine.program_version + 1;
          req.mutable_program()->set_id(mine.program_id);
          req.mutable_program()->set_etag(program_etag);
          req.mutable_program()->set_display_name(Versioned("program", next));
          req.mutable_update_mask()->add_paths("display_name");
          req.set_request_id("req-" + tag);
          v1::Program updated, back;
          if (!Call("UpdateProgram", &v1::SchedulingService::Stub::UpdateProgram, req, &updated).ok()) break;
          program_etag = updated.etag();
          mine.program_version = next;
          if (Call("GetProgram", &v1::SchedulingService::Stub::GetProgram,
                   Get<v1::GetProgramRequest>(mine.program_id), &back)
                  .ok() &&
              VersionOf(back.display_name()) < next) {
            Stale("writer read program " + back.display_name() + " after acknowledged v" + std::to_string(next));
          }
          break;
        }
      }
    }
  }

  // Reads what writers published; the version a reader saw acknowledged
  // before its call is the oldest it may get back.
  void Reader(int r) {
    std::mt19937 rng(1234 + r);
    for (int i = 0; i < kMaxIterations && !stop_; ++i) {
      Owned& o = owned_[rng() % kWriters];
      switch (rng() % 4) {
        case 0: {
          const int acked = o.group_version;
          v1::Group g;
          if (Call("GetGroup", &v1::SchedulingService::Stub::GetGroup, Get<v1::GetGroupRequest>(o.group_id), &g)
                  .ok() &&
              VersionOf(g.display_name()) < acked) {
            Stale("reader got group " + g.display_name() + " after seeing v" + std::to_string(acked) + " acknowledged");
          }
          break;
        }
        case 1: {
          const int acked = o.program_version;
          v1::Program p;
          if (Call("GetProgram", &v1::SchedulingService::Stub::GetProgram, Get<v1::GetProgramRequest>(o.program_id),
                   &p)
                  .ok() &&
              VersionOf(p.display_name()) < acked) {
            Stale("reader got program " + p.display_name() + " after seeing v" + std::to_string(acked) +
                  " acknowledged");
          }
          break;
        }
        case 2: {
          auto [id, name] = published_.Pick(published_.clients, rng);
          if (id.empty()) break;
          v1::Client c;
          if (Call("GetClient", &v1::SchedulingService::Stub::GetClient, Get<v1::GetClientRequest>(id), &c).ok() &&
              c.display_name() != name) {
            Stale("client " + id + " read as " + c.display_name());
          }
          break;
        }
        default: {
          auto [id, name] = published_.Pick(published_.sites, rng);
          if (id.empty()) break;
          v1::Site s;
          if (Call("GetSite", &v1::SchedulingService::Stub::GetSite, Get<v1::GetSiteRequest>(id), &s).ok() &&
              s.display_name() != name) {
            Stale("site " + id + " read as " + s.display_name());
          }
          break;
        }
      }
    }
  }

  template <class Req>
  static Req Get(const std::string& id) {
    Req r;
    r.set_id(id);
    return r;
  }

  // Runs the load for kLoadTime; `fault` runs at kFaultAt, `recover` at
  // kRecoverAt; calls in between also count in fault_latency_.
  void RunLoad(const std::function<void()>& fault, const std::function<void()>& recover) {
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (int w = 0; w < kWriters; ++w) threads.emplace_back([this, w] { Writer(w); });
    for (int r = 0; r < kReaders; ++r) threads.emplace_back([this, r] { Reader(r); });
    std::this_thread::sleep_until(start + kFaultAt);
    fault();
    faulted_ = true;
    std::this_thread::sleep_until(start + kRecoverAt);
    faulted_ = false;
    recover();
    std::this_thread::sleep_until(start + kLoadTime);
    stop_ = true;
    for (auto& t : threads) t.join();
  }

  // Once Redis is back, repeated reads of one group are served from it again.
  void ExpectHitsReturn() {
    const double before = Hits();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    v1::Group g;
    while (Hits() < before + 5 && Clock::now() < deadline) {
      ASSERT_TRUE(stub_->GetGroup(WithToken(admin_).get(), Get<v1::GetGroupRequest>(owned_[0].group_id), &g).ok());
      std::this_thread::sleep_for(Millis(50));
    }
    EXPECT_GE(Hits(), before + 5) << "cache hits did not come back after Redis returned";
    EXPECT_EQ(testing::MetricValue(Metrics(), "iop_cache_up"), 1);
    EXPECT_EQ(testing::MetricValue(Metrics(), "iop_cache_near_up"), 1);
  }

  void ExpectCleanRun() {
    EXPECT_EQ(outcomes_.CountOutside({grpc::StatusCode::OK}), 0) << outcomes_.Summary();
    EXPECT_EQ(stale_count_, 0) << ::testing::PrintToString(stale_);
    // The load really wrote and read through the whole drill.
    EXPECT_GT(owned_[0].group_version + owned_[1].group_version, 10) << outcomes_.Summary();
    EXPECT_GT(fault_latency_.Count(), 20u) << "too few calls while Redis was faulted to prove anything";
    std::printf("drill: %d calls, p50 %.1f ms, p99 %.1f ms, max %.1f ms; while faulted: %zu calls, p99 %.1f ms\n",
                outcomes_.Total(), latency_.Percentile(0.5), latency_.Percentile(0.99), latency_.Max(),
                fault_latency_.Count(), fault_latency_.Percentile(0.99));
  }

  testing::RedisProcess redis_;
  std::unique_ptr<testing::InProcess<scheduling::SchedulingApp>> service_;
  std::unique_ptr<v1::SchedulingService::Stub> stub_;
  const std::string admin_ = Token("org-drill-cache", "admin");
  v1::Site site_;
  Owned owned_[kWriters];
  Published published_;
  Outcomes outcomes_;
  Latencies latency_, fault_latency_;
  std::atomic<bool> stop_{false}, faulted_{false};
  std::mutex stale_mu_;
  std::vector<std::string> stale_;
  int stale_count_ = 0;
};

TEST_F(CacheFaultDrill, RedisKilledMidLoadCostsNothingAndHitsReturnAfterRestart) {
  double errors_during_fault = 0, up_during_fault = -1, hits_before_fault = 0;
  RunLoad(
      [&] {
        hits_before_fault = Hits();
        redis_.Kill();
      },
      [&] {
        std::string page = Metrics();
        errors_during_fault = SumMetric(page, "iop_cache_errors_total");
        up_during_fault = testing::MetricValue(page, "iop_cache_up");
        redis_.Restart();
      });
  EXPECT_GT(hits_before_fault, 0) << "reads never came from Redis, so none could have been stale";
  EXPECT_GT(errors_during_fault, 0) << "the drill never reached Redis while it was dead";
  EXPECT_EQ(up_during_fault, 0);
  ExpectCleanRun();
  EXPECT_LT(latency_.Percentile(0.99), 300) << "p99 of all calls";
  ExpectHitsReturn();
}

TEST_F(CacheFaultDrill, HungRedisCostsAtMostTheCacheTimeout) {
  double up_during_fault = -1, hits_before_fault = 0;
  RunLoad(
      [&] {
        hits_before_fault = Hits();
        redis_.Pause();
      },
      [&] {
        up_during_fault = testing::MetricValue(Metrics(), "iop_cache_up");
        redis_.Resume();
      });
  EXPECT_GT(hits_before_fault, 0) << "reads never came from Redis, so none could have been stale";
  EXPECT_EQ(up_during_fault, 0) << "the cache never noticed the hung Redis";
  ExpectCleanRun();
  // Each Redis operation gives up after 50 ms and the circuit then stays
  // open, so even the unlucky calls stay far below a database round trip
  // plus a few cache timeouts.
  EXPECT_LT(fault_latency_.Percentile(0.99), 300) << "p99 while Redis was hung";
  EXPECT_LT(latency_.Max(), 1500) << "slowest call";
  ExpectHitsReturn();
}

}  // namespace
}  // namespace iop::drills
