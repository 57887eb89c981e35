// Domain counters of the scheduling service, on the runtime's registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <string>

namespace iop::scheduling::store {

class SchedulingMetrics {
 public:
  explicit SchedulingMetrics(prometheus::Registry& registry)
      : groups_created_(prometheus::BuildCounter()
                            .Name("iop_scheduling_groups_created_total")
                            .Help("Therapy groups created.")
                            .Register(registry)
                            .Add({})),
        sessions_changed_(prometheus::BuildCounter()
                              .Name("iop_scheduling_sessions_changed_total")
                              .Help("Sessions changed one by one, by change (created, cancelled, rescheduled).")
                              .Register(registry)),
        enrollments_(prometheus::BuildCounter()
                         .Name("iop_scheduling_enrollments_total")
                         .Help("Enrollments by resulting status (active, waitlisted, promoted).")
                         .Register(registry)),
        conflicts_rejected_(prometheus::BuildCounter()
                                .Name("iop_scheduling_conflicts_rejected_total")
                                .Help("Writes rejected for double-booking, by kind (facilitator, room, client).")
                                .Register(registry)) {}

  void GroupCreated() { groups_created_.Increment(); }
  void SessionChanged(const std::string& change) { sessions_changed_.Add({{"change", change}}).Increment(); }
  void Enrolled(const std::string& status) { enrollments_.Add({{"status", status}}).Increment(); }
  void ConflictRejected(const std::string& kind) { conflicts_rejected_.Add({{"kind", kind}}).Increment(); }

 private:
  prometheus::Counter& groups_created_;
  prometheus::Family<prometheus::Counter>& sessions_changed_;
  prometheus::Family<prometheus::Counter>& enrollments_;
  prometheus::Family<prometheus::Counter>& conflicts_rejected_;
};

}  // namespace iop::scheduling::store
