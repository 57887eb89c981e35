#include "attendance/api/change_relay.h"

namespace iop::attendance::api {

void ChangeRelay::operator()(const store::RecordChange& change) {
  if (!hub_.Watched(change.org, change.session_id)) return;
  auto record = store_.Version(change.org, change.record_id, change.version);
  if (!record) return;
  v1::AttendanceEvent event;
  switch (change.kind) {
    case store::RecordChange::Kind::kCheckedIn: event.set_kind(v1::EVENT_KIND_CHECKED_IN); break;
    case store::RecordChange::Kind::kCheckedOut: event.set_kind(v1::EVENT_KIND_CHECKED_OUT); break;
    case store::RecordChange::Kind::kRecorded: event.set_kind(v1::EVENT_KIND_STATUS_RECORDED); break;
  }
  *event.mutable_occurred_at() = record->update_time();
  event.set_session_id(change.session_id);
  *event.mutable_record() = std::move(*record);
  hub_.Publish(change.org, change.session_id, event);
}

}  // namespace iop::attendance::api
