// Recurrence expansion: a year of sessions for one group, the work behind
// ListSessions and the conflict checks.
#include <benchmark/benchmark.h>

#include "scheduling/domain/recurrence.h"

namespace {

using iop::scheduling::domain::Expand;
using iop::scheduling::domain::MaskOf;
using iop::scheduling::domain::Merge;
using iop::scheduling::domain::OccurrenceId;
using iop::scheduling::domain::Plan;
using iop::scheduling::domain::Series;
using iop::scheduling::domain::Slot;

Series WeekdaySeries(int plans) {
  Series s;
  s.group_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  s.site_id = "site";
  s.program_id = "program";
  absl::LoadTimeZone("America/New_York", &s.tz);
  s.starts_on = absl::CivilDay(2030, 1, 7);
  for (int i = 0; i < plans; ++i) {
    Plan p;
    p.valid_from = s.starts_on + 30 * i;
    p.weekdays = MaskOf({1, 2, 3, 4, 5});
    p.start_minute = 9 * 60 + 15 * i;
    p.duration_minutes = 180;
    p.facilitator_ids = {"staff-a", "staff-b"};
    p.room_id = "room";
    s.plans.push_back(p);
  }
  return s;
}

// Monday-Friday, 3 h a day, over a year crossing both DST changes.
void BM_ExpandYear(benchmark::State& state) {
  const Series s = WeekdaySeries(static_cast<int>(state.range(0)));
  const absl::CivilDay from(2030, 1, 1), to(2030, 12, 31);
  size_t sessions = 0;
  for (auto _ : state) {
    auto slots = Expand(s, from, to);
    sessions = slots.size();
    benchmark::DoNotOptimize(slots.data());
  }
  state.counters["sessions"] = static_cast<double>(sessions);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sessions));
}
BENCHMARK(BM_ExpandYear)->Arg(1)->Arg(12);

// A year expanded and merged with a stored change every tenth session.
void BM_ExpandAndMergeYear(benchmark::State& state) {
  const Series s = WeekdaySeries(1);
  const absl::CivilDay from(2030, 1, 1), to(2030, 12, 31);
  std::vector<Slot> stored;
  auto generated = Expand(s, from, to);
  for (size_t i = 0; i < generated.size(); i += 10) {
    Slot changed = generated[i];
    changed.cancelled = true;
    stored.push_back(changed);
  }
  for (auto _ : state) {
    auto merged = Merge(Expand(s, from, to), stored);
    benchmark::DoNotOptimize(merged.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * generated.size()));
}
BENCHMARK(BM_ExpandAndMergeYear);

void BM_OccurrenceId(benchmark::State& state) {
  absl::CivilDay day(2030, 3, 10);
  for (auto _ : state) {
    benchmark::DoNotOptimize(OccurrenceId("0f8fad5b-d9cb-469f-a165-70867728950e", day));
  }
}
BENCHMARK(BM_OccurrenceId);

}  // namespace
