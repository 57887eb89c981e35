// Shared fixture of the outcomes integration tests: the real service
// in-process on a scratch database and the test Redis, pointed at a fake
// scheduling service, with helpers that go through the gRPC API.
#pragma once

#include <gtest/gtest.h>

#include "common/sql.h"
#include "iop/outcomes/v1/outcomes.grpc.pb.h"
#include "outcomes/app.h"
#include "support/fake_scheduling.h"
#include "support/service_harness.h"

namespace iop::outcomes::testing {

namespace v1 = ::iop::outcomes::v1;
namespace sched = ::iop::scheduling::v1;
using iop::testing::ClientAt;
using iop::testing::FakeScheduling;
using iop::testing::GroupOf;
using iop::testing::ProgramAt;
using iop::testing::SiteWithId;
using iop::testing::Token;
using iop::testing::WithToken;

class OutcomesService {
 public:
  OutcomesService() : db_("outcomes_it") {
    config_ = iop::testing::TestConfig("outcomes", db_.url(), iop::testing::RedisUrl());
    config_.scheduling_addr = scheduling_.address();
    app_ = std::make_unique<OutcomesApp>(config_);
    app_->runtime().Start();
  }
  ~OutcomesService() { app_.reset(); }
  FakeScheduling& scheduling() { return scheduling_; }
  int metrics_port() { return app_->runtime().metrics().port(); }
  // A new process on the same database: nothing carried over in memory.
  void Restart() {
    app_.reset();
    app_ = std::make_unique<OutcomesApp>(config_);
    app_->runtime().Start();
  }
  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->runtime().port()),
                               grpc::InsecureChannelCredentials());
  }

 private:
  iop::testing::ScratchDatabase db_;
  FakeScheduling scheduling_;
  config::Config config_;
  std::unique_ptr<OutcomesApp> app_;
};

class OutcomesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = new OutcomesService(); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void SetUp() override {
    stub_ = v1::OutcomesService::NewStub(service_->Channel());
    org_ = "org-" + std::to_string(next_org_++);
    admin_ = Token(org_, "admin");
    scheduling().Put(org_, SiteWithId(org_ + "-site"));
  }
  FakeScheduling& scheduling() { return service_->scheduling(); }

  template <class... Args>
  void Enroll(Args&&... args) {
    scheduling().Put(org_, iop::testing::MemberOf(std::forward<Args>(args)...));
  }
  std::string NewClient(const std::string& name) {
    const std::string id = org_ + "-" + name;
    scheduling().Put(org_, ClientAt(id, org_ + "-site"));
    return id;
  }

  // Day d of November 2026 at noon UTC.
  static google::protobuf::Timestamp Day(int d) {
    return sql::TimestampFromMicros(absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(2026, 11, d, 12, 0, 0), absl::UTCTimeZone())));
  }

  grpc::Status Submit(const std::string& token, const std::string& client, const std::string& code,
                      const std::vector<int>& answers, v1::Assessment* out, int day = 0,
                      const std::string& request_id = "") {
    v1::SubmitAssessmentRequest req;
    req.set_client_id(client);
    req.set_instrument_code(code);
    for (int a : answers) req.add_answers(a);
    if (day > 0) *req.mutable_administered_at() = Day(day);
    req.set_request_id(request_id);
    return stub_->SubmitAssessment(WithToken(token).get(), req, out);
  }

  v1::Assessment MustSubmit(const std::string& client, const std::string& code, const std::vector<int>& answers,
                            int day = 0) {
    v1::Assessment out;
    grpc::Status s = Submit(admin_, client, code, answers, &out, day);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // PHQ-9 answers totalling `total` with item 9 at 0 (no alert).
  static std::vector<int> Phq9(int total) {
    std::vector<int> a(9, 0);
    for (int i = 0; i < 8 && total > 0; ++i) {
      a[i] = std::min(3, total);
      total -= a[i];
    }
    return a;
  }

  static inline OutcomesService* service_ = nullptr;
  static inline int next_org_ = 0;
  std::unique_ptr<v1::OutcomesService::Stub> stub_;
  std::string org_, admin_;
};

}  // namespace iop::outcomes::testing
