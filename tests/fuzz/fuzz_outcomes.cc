// Outcomes asks scheduling whether a client, group or site exists and who
// is enrolled. A stand-in scheduling service holds a small fixed world, so
// seeds that name its ids ("client-1", "group-1") reach scoring, storage and
// the cohort reports.
#include "fuzz_service.h"
#include "support/fake_scheduling.h"
#include "outcomes/app.h"

namespace {

using iop::fuzz::FuzzOrg;

iop::fuzz::Peers Scheduling() {
  auto fake = std::make_shared<iop::testing::FakeScheduling>();
  fake->Put(FuzzOrg(), iop::testing::SiteWithId("site-1"));
  fake->Put(FuzzOrg(), iop::testing::ProgramAt("program-1", "site-1"));
  fake->Put(FuzzOrg(), iop::testing::GroupOf("group-1", "program-1", "site-1"));
  for (const char* id : {"client-1", "client-2"}) {
    fake->Put(FuzzOrg(), iop::testing::ClientAt(id, "site-1"));
    fake->Put(FuzzOrg(), iop::testing::MemberOf("group-1", id, "2020-01-01"));
  }
  const std::string address = fake->address();
  return {fake, [address](iop::config::Config& c) { c.scheduling_addr = address; }};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iop::fuzz::ServiceFuzzer<iop::outcomes::OutcomesApp>::Instance(
      "fuzz_outc", iop::outcomes::v1::Assessment::descriptor()->file()->service(0), Scheduling)
      .Run(data, size);
  return 0;
}
