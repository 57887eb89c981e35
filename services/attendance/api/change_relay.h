// Turns a committed change of an attendance record, announced by the
// database (store::ChangeFeed), into an event for this replica's watchers
// of its session. Costs nothing while nobody here watches that session.
#pragma once

#include "attendance/api/event_hub.h"
#include "attendance/store/attendance_store.h"
#include "attendance/store/change_feed.h"

namespace iop::attendance::api {

class ChangeRelay {
 public:
  ChangeRelay(EventHub& hub, store::AttendanceStore& store) : hub_(hub), store_(store) {}
  void operator()(const store::RecordChange& change);

 private:
  EventHub& hub_;
  store::AttendanceStore& store_;
};

}  // namespace iop::attendance::api
