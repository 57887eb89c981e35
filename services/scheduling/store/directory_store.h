// PostgreSQL + cache storage of the scheduling directory: sites, rooms,
// staff, clients, programs. Every method takes the caller so org and site
// scoping happen here, once, and no handler can skip them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/auth.h"
#include "common/cache.h"
#include "common/db.h"
#include "common/paging.h"
#include "iop/scheduling/v1/scheduling.pb.h"

namespace iop::scheduling::store {

namespace v1 = ::iop::scheduling::v1;

// Identifies one idempotent write: its request (fingerprinted without the
// request_id) and the request_id itself.
struct WriteKey {
  const char* method;
  const google::protobuf::Message& request;
  const std::string& request_id;
};

template <class T>
struct Listed {
  std::vector<T> items;
  std::string next_page_token;
};

class DirectoryStore {
 public:
  DirectoryStore(db::Pool& pool, cache::Cache& cache);

  v1::Site CreateSite(const auth::Caller& caller, const v1::Site& site, const WriteKey& key);
  v1::Site GetSite(const auth::Caller& caller, const std::string& id);
  // The Peek* read this process's copy without blocking (cache::Cache::Peek):
  // true when `out` holds an object the caller may see; false means "ask
  // the Get*", which also gives every error.
  bool PeekSite(const auth::Caller& caller, const std::string& id, v1::Site* out);
  Listed<v1::Site> ListSites(const auth::Caller& caller, const v1::ListSitesRequest& req);

  v1::Room CreateRoom(const auth::Caller& caller, const v1::Room& room, const WriteKey& key);
  v1::Room GetRoom(const auth::Caller& caller, const std::string& id);
  bool PeekRoom(const auth::Caller& caller, const std::string& id, v1::Room* out);
  Listed<v1::Room> ListRooms(const auth::Caller& caller, const v1::ListRoomsRequest& req);

  v1::Staff CreateStaff(const auth::Caller& caller, const v1::Staff& staff, const WriteKey& key);
  v1::Staff GetStaff(const auth::Caller& caller, const std::string& id);
  bool PeekStaff(const auth::Caller& caller, const std::string& id, v1::Staff* out);
  Listed<v1::Staff> ListStaff(const auth::Caller& caller, const v1::ListStaffRequest& req);

  v1::Client CreateClient(const auth::Caller& caller, const v1::Client& client, const WriteKey& key);
  v1::Client GetClient(const auth::Caller& caller, const std::string& id);
  Listed<v1::Client> ListClients(const auth::Caller& caller, const v1::ListClientsRequest& req);

  v1::Program CreateProgram(const auth::Caller& caller, const v1::Program& program,
                            const WriteKey& key);
  v1::Program GetProgram(const auth::Caller& caller, const std::string& id);
  bool PeekProgram(const auth::Caller& caller, const std::string& id, v1::Program* out);
  Listed<v1::Program> ListPrograms(const auth::Caller& caller, const v1::ListProgramsRequest& req);
  // `apply` turns the stored program into the wanted one (field mask, value
  // checks); it runs inside the transaction after the etag check.
  using ProgramChange = std::function<v1::Program(const v1::Program& current)>;
  v1::Program UpdateProgram(const auth::Caller& caller, const std::string& id, const std::string& etag,
                            const ProgramChange& apply, const WriteKey& key);

  // Throws NOT_FOUND (naming `field`) unless the site exists in the caller's
  // org and the caller may see it. Used by writes that reference a site.
  void RequireSite(pqxx::work& tx, const auth::Caller& caller, const std::string& site_id);
  // The same for a list's site_id filter (empty: no filter, nothing to check).
  void CheckSiteFilter(const auth::Caller& caller, const std::string& site_id);

 private:
  void Prepare();
  db::Pool& pool_;
  cache::Cache& cache_;
};

}  // namespace iop::scheduling::store
