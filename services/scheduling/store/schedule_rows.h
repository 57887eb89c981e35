// Internal to the schedule store: how rows become groups, series and
// sessions, how a window of sessions is loaded (generated occurrences merged
// with stored rows), and the locked double-booking check.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/db.h"
#include "common/errors.h"
#include "iop/scheduling/v1/scheduling.pb.h"
#include "scheduling/domain/conflicts.h"
#include "scheduling/domain/recurrence.h"
#include "scheduling/store/scheduling_metrics.h"

namespace iop::scheduling::store::rows {

namespace v1 = ::iop::scheduling::v1;

// Registers the statements the helpers below use.
void Prepare(db::Pool& pool);

struct GroupRecord {
  v1::Group group;
  domain::Series series;
  int64_t seq = 0;
};

std::string Etag(int64_t version);

// Groups of the caller's org by id (missing ids are left out; site limits
// are the caller's business). `lock` takes FOR UPDATE on the group rows.
std::map<std::string, GroupRecord> LoadGroups(pqxx::work& tx, const std::string& org,
                                              const std::vector<std::string>& ids, bool lock = false);
// One group visible to the caller, or NOT_FOUND.
GroupRecord RequireGroup(pqxx::work& tx, const auth::Caller& caller, const std::string& id,
                         bool lock = false);

// Stored session rows of `groups` relevant to local dates [from, to]: rows
// starting then, and rows replacing an occurrence of those dates.
std::vector<domain::Slot> LoadStoredSlots(pqxx::work& tx, const std::string& org,
                                          const std::map<std::string, GroupRecord>& groups,
                                          absl::CivilDay from, absl::CivilDay to);

// Every session (generated and stored) of `groups` with a start or an
// occurrence date within local dates [from, to] (a day of slack either side
// covers sites in other zones), ordered by start then id.
std::vector<domain::Slot> LoadSlots(pqxx::work& tx, const std::string& org,
                                    const std::map<std::string, GroupRecord>& groups,
                                    absl::CivilDay from, absl::CivilDay to);

// One session by id, with its group; nullopt when no such session exists.
struct FoundSession {
  GroupRecord group;
  domain::Slot slot;
};
std::optional<FoundSession> FindSession(pqxx::work& tx, const auth::Caller& caller,
                                        const std::string& id, bool lock_group = false);

v1::Session ToSession(const domain::Slot& slot, const GroupRecord& g);

// Staff must exist in the org (NOT_FOUND naming `field`); rooms too. Adds
// FACILITATOR_NOT_AT_SITE / ROOM_NOT_AT_SITE / ROOM_CAPACITY violations.
// Returns the room's capacity (0 = unlimited or no room).
int CheckResources(pqxx::work& tx, const std::string& org, const std::string& site_id,
                   const std::vector<std::string>& facilitator_ids, const std::string& room_id,
                   int max_size, const std::string& field_prefix,
                   std::vector<errors::Violation>& violations);
void ThrowIfViolations(const std::vector<errors::Violation>& violations, const std::string& summary);

// A client whose attendance `candidates` would require, and the local dates
// on which that is so.
struct ClientWindow {
  std::string client_id;
  absl::CivilDay from;
  std::optional<absl::CivilDay> to;
};

struct ConflictCheck {
  std::vector<domain::Slot> candidates;
  absl::CivilDay from, to;           // local dates the candidates cover
  std::string exclude_group_id;      // the group being replaced (UpdateGroup)
  std::string own_group_id;          // the candidates' group (not a client conflict)
  std::vector<ClientWindow> clients;
  bool check_resources = true;       // false: only the clients (enrollment)
};

// Seated memberships of a group still attending on or after `from`.
std::vector<ClientWindow> EnrolledClients(pqxx::work& tx, const std::string& group_id,
                                          absl::CivilDay from);

// Locks the facilitators, rooms and clients of `check`, then throws
// FAILED_PRECONDITION listing every colliding session (one violation per
// conflict) when there is any.
void RejectConflicts(pqxx::work& tx, const std::string& org, const ConflictCheck& check,
                     SchedulingMetrics& metrics);

// Seats the first waitlisted member of `group` (waitlist order) whose seat
// from `first_day` on would not double-book the client: a client may have
// taken a seat elsewhere at the same hours while waiting, and stays on the
// waitlist then. Returns the promoted membership's id, if any.
std::optional<std::string> PromoteNextWaitlisted(pqxx::work& tx, const std::string& org,
                                                 const GroupRecord& group, absl::CivilDay first_day);

}  // namespace iop::scheduling::store::rows
