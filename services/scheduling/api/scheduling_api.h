// gRPC face of the scheduling service: translates requests, checks them
// against the domain rules, authorizes through CallRunner and calls the
// stores. No SQL here.
#pragma once

#include "common/audit.h"
#include "common/call.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"
#include "scheduling/store/directory_store.h"
#include "scheduling/store/schedule_store.h"

namespace iop::scheduling::api {

namespace v1 = ::iop::scheduling::v1;
using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

class SchedulingApi final : public v1::SchedulingService::CallbackService {
 public:
  SchedulingApi(server::CallRunner& runner, store::DirectoryStore& directory,
                store::ScheduleStore& schedule, audit::AuditLog& audit)
      : runner_(runner), directory_(directory), schedule_(schedule), audit_(audit) {}

  ServerUnaryReactor* CreateSite(CallbackServerContext*, const v1::CreateSiteRequest*, v1::Site*) override;
  ServerUnaryReactor* GetSite(CallbackServerContext*, const v1::GetSiteRequest*, v1::Site*) override;
  ServerUnaryReactor* ListSites(CallbackServerContext*, const v1::ListSitesRequest*, v1::ListSitesResponse*) override;
  ServerUnaryReactor* CreateRoom(CallbackServerContext*, const v1::CreateRoomRequest*, v1::Room*) override;
  ServerUnaryReactor* GetRoom(CallbackServerContext*, const v1::GetRoomRequest*, v1::Room*) override;
  ServerUnaryReactor* ListRooms(CallbackServerContext*, const v1::ListRoomsRequest*, v1::ListRoomsResponse*) override;
  ServerUnaryReactor* CreateStaff(CallbackServerContext*, const v1::CreateStaffRequest*, v1::Staff*) override;
  ServerUnaryReactor* GetStaff(CallbackServerContext*, const v1::GetStaffRequest*, v1::Staff*) override;
  ServerUnaryReactor* ListStaff(CallbackServerContext*, const v1::ListStaffRequest*, v1::ListStaffResponse*) override;
  ServerUnaryReactor* CreateClient(CallbackServerContext*, const v1::CreateClientRequest*, v1::Client*) override;
  ServerUnaryReactor* GetClient(CallbackServerContext*, const v1::GetClientRequest*, v1::Client*) override;
  ServerUnaryReactor* ListClients(CallbackServerContext*, const v1::ListClientsRequest*, v1::ListClientsResponse*) override;
  ServerUnaryReactor* CreateProgram(CallbackServerContext*, const v1::CreateProgramRequest*, v1::Program*) override;
  ServerUnaryReactor* GetProgram(CallbackServerContext*, const v1::GetProgramRequest*, v1::Program*) override;
  ServerUnaryReactor* ListPrograms(CallbackServerContext*, const v1::ListProgramsRequest*, v1::ListProgramsResponse*) override;
  ServerUnaryReactor* UpdateProgram(CallbackServerContext*, const v1::UpdateProgramRequest*, v1::Program*) override;

  ServerUnaryReactor* CreateGroup(CallbackServerContext*, const v1::CreateGroupRequest*, v1::Group*) override;
  ServerUnaryReactor* GetGroup(CallbackServerContext*, const v1::GetGroupRequest*, v1::Group*) override;
  ServerUnaryReactor* ListGroups(CallbackServerContext*, const v1::ListGroupsRequest*, v1::ListGroupsResponse*) override;
  ServerUnaryReactor* UpdateGroup(CallbackServerContext*, const v1::UpdateGroupRequest*, v1::Group*) override;
  ServerUnaryReactor* CloseGroup(CallbackServerContext*, const v1::CloseGroupRequest*, v1::Group*) override;

  ServerUnaryReactor* ListSessions(CallbackServerContext*, const v1::ListSessionsRequest*, v1::ListSessionsResponse*) override;
  ServerUnaryReactor* GetSession(CallbackServerContext*, const v1::GetSessionRequest*, v1::Session*) override;
  ServerUnaryReactor* CreateSession(CallbackServerContext*, const v1::CreateSessionRequest*, v1::Session*) override;
  ServerUnaryReactor* CancelSession(CallbackServerContext*, const v1::CancelSessionRequest*, v1::Session*) override;
  ServerUnaryReactor* RescheduleSession(CallbackServerContext*, const v1::RescheduleSessionRequest*, v1::Session*) override;

  ServerUnaryReactor* EnrollClient(CallbackServerContext*, const v1::EnrollClientRequest*, v1::Membership*) override;
  ServerUnaryReactor* DischargeClient(CallbackServerContext*, const v1::DischargeClientRequest*,
                                      v1::DischargeClientResponse*) override;
  ServerUnaryReactor* ListMemberships(CallbackServerContext*, const v1::ListMembershipsRequest*,
                                      v1::ListMembershipsResponse*) override;
  ServerUnaryReactor* GetSessionRoster(CallbackServerContext*, const v1::GetSessionRosterRequest*,
                                       v1::GetSessionRosterResponse*) override;
  ServerUnaryReactor* GetClientIntensity(CallbackServerContext*, const v1::GetClientIntensityRequest*,
                                         v1::GetClientIntensityResponse*) override;

  ServerUnaryReactor* ListAuditEvents(CallbackServerContext*, const iop::common::v1::ListAuditEventsRequest*,
                                      iop::common::v1::ListAuditEventsResponse*) override;

 private:
  server::CallRunner& runner_;
  store::DirectoryStore& directory_;
  store::ScheduleStore& schedule_;
  audit::AuditLog& audit_;
};

}  // namespace iop::scheduling::api
