// gRPC face of the attendance service: validates requests, authorizes
// through CallRunner, reads sessions and rosters from scheduling
// (SchedulingPeer), and calls the store. No SQL here.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "attendance/api/event_hub.h"
#include "attendance/store/attendance_store.h"
#include "attendance/store/change_feed.h"
#include "attendance/store/scheduling_peer.h"
#include "common/audit.h"
#include "common/call.h"
#include "iop/attendance/v1/attendance.grpc.pb.h"

namespace iop::attendance::api {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

// Domain metrics of the service.
struct AttendanceMetrics {
  explicit AttendanceMetrics(prometheus::Registry& registry);
  prometheus::Counter& checkins;                   // iop_attendance_checkins_total
  prometheus::Family<prometheus::Counter>& records;  // iop_attendance_records_total{status}
  prometheus::Gauge& active_watchers;              // iop_attendance_active_watchers
};

class AttendanceApi final : public v1::AttendanceService::CallbackService {
 public:
  AttendanceApi(server::CallRunner& runner, server::WorkerPool& workers, store::AttendanceStore& store,
                store::SchedulingPeer& scheduling, audit::AuditLog& audit, EventHub& hub,
                store::ChangeFeed& changes, AttendanceMetrics& metrics)
      : runner_(runner), workers_(workers), store_(store), scheduling_(scheduling), audit_(audit),
        hub_(hub), changes_(changes), metrics_(metrics) {}

  ServerUnaryReactor* CheckIn(CallbackServerContext*, const v1::CheckInRequest*, v1::AttendanceRecord*) override;
  ServerUnaryReactor* CheckOut(CallbackServerContext*, const v1::CheckOutRequest*, v1::AttendanceRecord*) override;
  ServerUnaryReactor* RecordAttendance(CallbackServerContext*, const v1::RecordAttendanceRequest*,
                                       v1::RecordAttendanceResponse*) override;
  ServerUnaryReactor* GetSessionAttendance(CallbackServerContext*, const v1::GetSessionAttendanceRequest*,
                                           v1::GetSessionAttendanceResponse*) override;
  ServerUnaryReactor* GetAttendanceHistory(CallbackServerContext*, const v1::GetAttendanceHistoryRequest*,
                                           v1::GetAttendanceHistoryResponse*) override;
  ServerUnaryReactor* GetClientAttendance(CallbackServerContext*, const v1::GetClientAttendanceRequest*,
                                          v1::GetClientAttendanceResponse*) override;
  ServerUnaryReactor* GetGroupAttendanceStats(CallbackServerContext*, const v1::GetGroupAttendanceStatsRequest*,
                                              v1::GetGroupAttendanceStatsResponse*) override;
  ServerUnaryReactor* ListAttendanceAlerts(CallbackServerContext*, const v1::ListAttendanceAlertsRequest*,
                                           v1::ListAttendanceAlertsResponse*) override;
  grpc::ServerWriteReactor<v1::AttendanceEvent>* WatchSessionAttendance(
      CallbackServerContext*, const v1::WatchSessionAttendanceRequest*) override;
  ServerUnaryReactor* ListAuditEvents(CallbackServerContext*, const iop::common::v1::ListAuditEventsRequest*,
                                      iop::common::v1::ListAuditEventsResponse*) override;

 private:
  // The session as a write needs it: from scheduling, with the site's zone
  // and the program's thresholds. FAILED_PRECONDITION SESSION_CANCELLED for
  // a cancelled session.
  struct Loaded {
    std::shared_ptr<const store::SchedulingPeer::WriteContext> scheduled;
    store::SessionContext context;
  };
  Loaded LoadForWrite(server::Call& call, const std::string& session_id);
  // Throws NOT_ON_ROSTER (or NOT_FOUND for an unknown client) unless every
  // client is on the roster; re-reads a cached roster once before failing.
  void RequireOnRoster(server::Call& call, Loaded& loaded, const std::vector<std::string>& client_ids);
  void Publish(const server::Call& call, v1::EventKind kind, const v1::AttendanceRecord& record);
  // CheckIn's general path (every check-in but a client's first) and its
  // answer: the response, the ids for the audit record, metrics and the
  // event when the record changed.
  store::Written<v1::AttendanceRecord> CheckInGeneral(server::Call& call, const v1::CheckInRequest& req,
                                                      const store::SessionContext& context,
                                                      std::optional<int> mood, absl::Time now);
  void CheckedIn(server::Call& call, v1::AttendanceRecord* resp,
                 const store::Written<v1::AttendanceRecord>& written);

  server::CallRunner& runner_;
  server::WorkerPool& workers_;
  store::AttendanceStore& store_;
  store::SchedulingPeer& scheduling_;
  audit::AuditLog& audit_;
  EventHub& hub_;
  store::ChangeFeed& changes_;
  AttendanceMetrics& metrics_;
};

}  // namespace iop::attendance::api
