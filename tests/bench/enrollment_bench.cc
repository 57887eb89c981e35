// Roster computation: who is expected at a session, and the cached text
// form of a group's members read on every roster call.
#include <benchmark/benchmark.h>

#include "scheduling/domain/enrollment.h"

namespace {

using iop::scheduling::domain::DecodeMembers;
using iop::scheduling::domain::EncodeMembers;
using iop::scheduling::domain::RosterOn;
using iop::scheduling::domain::SeatedMember;

// `n` members joining and leaving over a year, so about half are seated on
// any one day.
std::vector<SeatedMember> Members(int n) {
  std::vector<SeatedMember> out;
  const absl::CivilDay first(2030, 1, 1);
  for (int i = 0; i < n; ++i) {
    SeatedMember m;
    m.membership_id = "m-" + std::to_string(i);
    m.client_id = "c-" + std::to_string(i * 7919 % 100003);
    m.display_name = "Client " + std::to_string((i * 31) % n);
    m.start_date = first + (i * 3) % 365;
    if (i % 2 == 0) m.end_date = m.start_date + 90;
    out.push_back(std::move(m));
  }
  return out;
}

void BM_RosterOn(benchmark::State& state) {
  const auto members = Members(static_cast<int>(state.range(0)));
  absl::CivilDay day(2030, 6, 1);
  for (auto _ : state) {
    auto roster = RosterOn(members, day);
    benchmark::DoNotOptimize(roster.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RosterOn)->Arg(12)->Arg(100)->Arg(1000);

// Every roster read of a cached group decodes its members first.
void BM_DecodeMembersThenRoster(benchmark::State& state) {
  const std::string text = EncodeMembers(Members(static_cast<int>(state.range(0))));
  absl::CivilDay day(2030, 6, 1);
  for (auto _ : state) {
    auto members = DecodeMembers(text);
    auto roster = RosterOn(*members, day);
    benchmark::DoNotOptimize(roster.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeMembersThenRoster)->Arg(12)->Arg(100);

}  // namespace
