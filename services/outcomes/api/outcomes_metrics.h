// Clinical signals on /metrics: assessments scored per instrument and the
// open risk alerts (read from the database, so restarts and other replicas'
// writes are reflected on the next refresh).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <functional>
#include <string>

namespace iop::outcomes::api {

class OutcomesMetrics {
 public:
  // `count_open` reads the number of open alerts; called at start, after
  // every change this replica makes, and every 30 s (OutcomesApp).
  OutcomesMetrics(prometheus::Registry& registry, std::function<int64_t()> count_open)
      : assessments_(prometheus::BuildCounter()
                         .Name("iop_outcomes_assessments_total")
                         .Help("Assessments scored and stored, by instrument code.")
                         .Register(registry)),
        open_alerts_(prometheus::BuildGauge()
                         .Name("iop_outcomes_open_risk_alerts")
                         .Help("Risk alerts not yet acknowledged, all orgs.")
                         .Register(registry)
                         .Add({})),
        count_open_(std::move(count_open)) {}

  void Scored(const std::string& instrument) { assessments_.Add({{"instrument", instrument}}).Increment(); }

  // Never fails the call it follows: a failed read keeps the last value.
  void RefreshOpenAlerts() noexcept {
    try {
      open_alerts_.Set(static_cast<double>(count_open_()));
    } catch (...) {
    }
  }

 private:
  prometheus::Family<prometheus::Counter>& assessments_;
  prometheus::Gauge& open_alerts_;
  std::function<int64_t()> count_open_;
};

}  // namespace iop::outcomes::api
