// Lessons and tracks: the org's own in PostgreSQL (cached), the built-in
// starter library from memory. Every method takes the caller and scopes by
// its org; another org's id answers NOT_FOUND like a missing one.
#pragma once

#include <string>
#include <vector>

#include "common/auth.h"
#include "common/cache.h"
#include "common/db.h"
#include "iop/curriculum/v1/curriculum.pb.h"

namespace iop::curriculum::store {

namespace v1 = ::iop::curriculum::v1;

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

class LibraryStore {
 public:
  LibraryStore(db::Pool& pool, cache::Cache& cache);

  v1::Lesson CreateLesson(const auth::Caller& caller, const v1::Lesson& lesson, const WriteKey& key);
  v1::Lesson GetLesson(const auth::Caller& caller, const std::string& id);
  Listed<v1::Lesson> ListLessons(const auth::Caller& caller, const v1::ListLessonsRequest& req);
  // `paths` are validated mutable paths (empty mask already expanded).
  v1::Lesson UpdateLesson(const auth::Caller& caller, const v1::Lesson& patch,
                          const std::vector<std::string>& paths, const WriteKey& key);

  v1::Track CreateTrack(const auth::Caller& caller, const v1::Track& track, const WriteKey& key);
  v1::Track GetTrack(const auth::Caller& caller, const std::string& id);
  Listed<v1::Track> ListTracks(const auth::Caller& caller, const v1::ListTracksRequest& req);
  v1::Track UpdateTrack(const auth::Caller& caller, const v1::Track& patch,
                        const std::vector<std::string>& paths, const WriteKey& key);
  v1::Track CopyTrack(const auth::Caller& caller, const v1::CopyTrackRequest& req, const WriteKey& key);

  // Lessons by id (own or built-in), for planning; NOT_FOUND for any
  // missing one.
  std::vector<v1::Lesson> GetLessons(const auth::Caller& caller, const std::vector<std::string>& ids);

 private:
  void Prepare();
  v1::Lesson LoadLesson(pqxx::work& tx, const auth::Caller& caller, const std::string& id);
  void RequireLessons(pqxx::work& tx, const auth::Caller& caller, const v1::Track& track,
                      const std::string& prefix);
  db::Pool& pool_;
  cache::Cache& cache_;
};

}  // namespace iop::curriculum::store
