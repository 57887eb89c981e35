#include "curriculum/store/library_store.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "common/errors.h"
#include "common/idempotent.h"
#include "common/paging.h"
#include "common/sql.h"
#include "curriculum/domain/library.h"
#include "curriculum/store/convert.h"
#include "curriculum/store/list_token.h"

namespace iop::curriculum::store {
namespace {

constexpr auto kObjectTtl = std::chrono::minutes(10);
constexpr char kLessonType[] = "iop.curriculum.v1.Lesson";
constexpr char kTrackType[] = "iop.curriculum.v1.Track";

// Bodies travel as base64 text so no binary parameter binding is needed.
const std::string kLessonCols = "id, org_id, title, modality, module, encode(body, 'base64'), version, " +
                                sql::EpochMicros("create_time") + ", " + sql::EpochMicros("update_time");
const std::string kTrackCols = "id, org_id, title, modality, encode(body, 'base64'), copied_from_track_id, version, " +
                               sql::EpochMicros("create_time") + ", " + sql::EpochMicros("update_time");

std::string Body(const google::protobuf::Message& m) { return absl::Base64Escape(m.SerializeAsString()); }

template <class T>
T ParseBody(const pqxx::field& f) {
  std::string raw, text = f.c_str();
  text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());  // encode() wraps lines
  T out;
  if (!absl::Base64Unescape(text, &raw) || !out.ParseFromString(raw)) {
    throw std::runtime_error("stored body unreadable");
  }
  return out;
}

v1::Lesson ReadLesson(const pqxx::row& r) {
  v1::Lesson l = ParseBody<v1::Lesson>(r[5]);
  l.set_id(r[0].c_str());
  l.set_org_id(r[1].c_str());
  l.set_title(r[2].c_str());
  l.set_modality(static_cast<iop::common::v1::Modality>(r[3].as<int>()));
  l.set_module(r[4].c_str());
  l.set_built_in(false);
  l.set_total_minutes(domain::TotalMinutes(ToDomain(l).phases));
  l.set_etag("v" + std::string(r[6].c_str()));
  *l.mutable_create_time() = sql::TimestampFromMicros(r[7].as<int64_t>());
  *l.mutable_update_time() = sql::TimestampFromMicros(r[8].as<int64_t>());
  return l;
}

v1::Track ReadTrack(const pqxx::row& r) {
  v1::Track t = ParseBody<v1::Track>(r[4]);
  t.set_id(r[0].c_str());
  t.set_org_id(r[1].c_str());
  t.set_title(r[2].c_str());
  t.set_modality(static_cast<iop::common::v1::Modality>(r[3].as<int>()));
  t.set_copied_from_track_id(r[5].c_str());
  t.set_built_in(false);
  t.set_etag("v" + std::string(r[6].c_str()));
  *t.mutable_create_time() = sql::TimestampFromMicros(r[7].as<int64_t>());
  *t.mutable_update_time() = sql::TimestampFromMicros(r[8].as<int64_t>());
  return t;
}

// What goes into `body`: the content, without the columns and output-only fields.
v1::Lesson LessonBody(const v1::Lesson& in) {
  v1::Lesson b;
  *b.mutable_objectives() = in.objectives();
  *b.mutable_phases() = in.phases();
  *b.mutable_materials() = in.materials();
  b.set_homework(in.homework());
  return b;
}

v1::Track TrackBody(const v1::Track& in) {
  v1::Track b;
  b.set_description(in.description());
  *b.mutable_modules() = in.modules();
  b.set_rolling_admission(in.rolling_admission());
  return b;
}

[[noreturn]] void ThrowBuiltIn(const std::string& what, const std::string& id) {
  errors::Throw(errors::FailedPrecondition(
      "built-in " + what + "s cannot change; copy the track with CopyTrack and change the copy",
      {{"BUILT_IN", id, "\"" + id + "\" belongs to the built-in starter library"}}));
}

void CheckEtag(const std::string& sent, const std::string& stored, const std::string& what) {
  if (!sent.empty() && sent != stored) {
    errors::Throw(errors::Aborted(what + " changed since it was read (etag \"" + sent + "\", now \"" +
                                  stored + "\"); read it again and retry"));
  }
}

void ThrowIfInvalid(const errors::Validator& v) { v.ThrowIfInvalid(); }

template <class T, class Key>
Listed<T> MergePage(std::vector<T> built_in, const pqxx::result& rows, T (*read)(const pqxx::row&),
                    int size, Key key, const std::string& filters) {
  std::vector<T> all = std::move(built_in);
  for (const auto& r : rows) all.push_back(read(r));
  std::sort(all.begin(), all.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  Listed<T> out;
  const size_t n = std::min<size_t>(all.size(), static_cast<size_t>(size));
  out.items.assign(all.begin(), all.begin() + static_cast<long>(n));
  if (all.size() > n && n > 0) out.next_page_token = EncodeKeyToken(key(out.items.back()), filters);
  return out;
}

}  // namespace

LibraryStore::LibraryStore(db::Pool& pool, cache::Cache& cache) : pool_(pool), cache_(cache) { Prepare(); }

void LibraryStore::Prepare() {
  pool_.Prepare("lesson_insert",
                "INSERT INTO lessons (org_id, title, modality, module, body) "
                "VALUES ($1,$2,$3,$4,decode($5,'base64')) RETURNING " + kLessonCols);
  pool_.Prepare("lesson_get", "SELECT " + kLessonCols + " FROM lessons WHERE org_id=$1 AND id=$2");
  pool_.Prepare("lesson_lock", "SELECT " + kLessonCols + " FROM lessons WHERE org_id=$1 AND id=$2 FOR UPDATE");
  pool_.Prepare("lesson_update",
                "UPDATE lessons SET title=$3, modality=$4, module=$5, body=decode($6,'base64'), "
                "version=version+1, update_time=now() WHERE org_id=$1 AND id=$2 RETURNING " + kLessonCols);
  pool_.Prepare("lesson_ids_known", "SELECT id FROM lessons WHERE org_id=$1 AND id = ANY($2::text[])");
  pool_.Prepare("lesson_list",
                "SELECT " + kLessonCols + " FROM lessons WHERE org_id=$1"
                " AND ($2 = 0 OR modality = $2) AND ($3 = '' OR module = $3)"
                " AND (NOT $4 OR (module, title, id) > ($5::text COLLATE \"C\", $6::text COLLATE \"C\", $7::text COLLATE \"C\"))"
                " ORDER BY module, title, id LIMIT $8");
  pool_.Prepare("track_insert",
                "INSERT INTO tracks (org_id, title, modality, body, copied_from_track_id) "
                "VALUES ($1,$2,$3,decode($4,'base64'),$5) RETURNING " + kTrackCols);
  pool_.Prepare("track_get", "SELECT " + kTrackCols + " FROM tracks WHERE org_id=$1 AND id=$2");
  pool_.Prepare("track_lock", "SELECT " + kTrackCols + " FROM tracks WHERE org_id=$1 AND id=$2 FOR UPDATE");
  pool_.Prepare("track_update",
                "UPDATE tracks SET title=$3, modality=$4, body=decode($5,'base64'), "
                "version=version+1, update_time=now() WHERE org_id=$1 AND id=$2 RETURNING " + kTrackCols);
  pool_.Prepare("track_list",
                "SELECT " + kTrackCols + " FROM tracks WHERE org_id=$1 AND ($2 = 0 OR modality = $2)"
                " AND (NOT $3 OR (title, id) > ($4::text COLLATE \"C\", $5::text COLLATE \"C\"))"
                " ORDER BY title, id LIMIT $6");
}

// ---- lessons --------------------------------------------------------------

v1::Lesson LibraryStore::CreateLesson(const auth::Caller& caller, const v1::Lesson& lesson,
                                      const WriteKey& key) {
  return idempotency::WriteOnce<v1::Lesson>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        return ReadLesson(tx.exec_prepared1("lesson_insert", caller.org, lesson.title(),
                                            static_cast<int>(lesson.modality()), lesson.module(),
                                            Body(LessonBody(lesson))));
      });
}

v1::Lesson LibraryStore::GetLesson(const auth::Caller& caller, const std::string& id) {
  if (id.empty()) errors::Throw(errors::InvalidArgument("id", "is required"));
  if (domain::IsBuiltInId(id)) {
    const domain::Lesson* l = domain::StarterLibrary().FindLesson(id);
    if (l == nullptr) errors::Throw(errors::NotFound(kLessonType, id));
    return BuiltInLesson(*l);
  }
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "lesson", id), kObjectTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto rows = tx.exec_prepared("lesson_get", caller.org, id);
          if (rows.empty()) return std::nullopt;
          return ReadLesson(rows[0]).SerializeAsString();
        }, "lesson_get");
      },
      "lesson");
  v1::Lesson out;
  if (!bytes || !out.ParseFromString(*bytes)) errors::Throw(errors::NotFound(kLessonType, id));
  return out;
}

std::vector<v1::Lesson> LibraryStore::GetLessons(const auth::Caller& caller, const std::vector<std::string>& ids) {
  std::vector<v1::Lesson> out;
  for (const auto& id : ids) out.push_back(GetLesson(caller, id));
  return out;
}

v1::Lesson LibraryStore::LoadLesson(pqxx::work& tx, const auth::Caller& caller, const std::string& id) {
  if (domain::IsBuiltInId(id)) {
    const domain::Lesson* l = domain::StarterLibrary().FindLesson(id);
    if (l == nullptr) errors::Throw(errors::NotFound(kLessonType, id));
    return BuiltInLesson(*l);
  }
  auto rows = tx.exec_prepared("lesson_get", caller.org, id);
  if (rows.empty()) errors::Throw(errors::NotFound(kLessonType, id));
  return ReadLesson(rows[0]);
}

Listed<v1::Lesson> LibraryStore::ListLessons(const auth::Caller& caller, const v1::ListLessonsRequest& req) {
  const bool include_built_in = !req.has_include_built_in() || req.include_built_in();
  const std::string filters = "lessons|" + std::to_string(req.modality()) + "|" + req.module() + "|" +
                              (include_built_in ? "b" : "");
  paging::Page page = paging::Parse(req.page_size(), "", filters);
  std::vector<std::string> after = DecodeKeyToken(req.page_token(), filters, 3);
  auto key = [](const v1::Lesson& l) { return std::vector<std::string>{l.module(), l.title(), l.id()}; };
  std::vector<v1::Lesson> built_in;
  if (include_built_in) {
    for (const auto& l : domain::StarterLibrary().lessons()) {
      v1::Lesson b = BuiltInLesson(l);
      if (req.modality() != 0 && b.modality() != req.modality()) continue;
      if (!req.module().empty() && b.module() != req.module()) continue;
      if (!after.empty() && !(after < key(b))) continue;
      built_in.push_back(std::move(b));
    }
  }
  const bool has_after = !after.empty();
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("lesson_list", caller.org, static_cast<int>(req.modality()), req.module(),
                            has_after, has_after ? after[0] : "", has_after ? after[1] : "",
                            has_after ? after[2] : "", page.size + 1);
  }, "lesson_list");
  return MergePage<v1::Lesson>(std::move(built_in), rows, &ReadLesson, page.size, key, filters);
}

v1::Lesson LibraryStore::UpdateLesson(const auth::Caller& caller, const v1::Lesson& patch,
                                      const std::vector<std::string>& paths, const WriteKey& key) {
  const std::string& id = patch.id();
  if (domain::IsBuiltInId(id)) {
    GetLesson(caller, id);  // NOT_FOUND for an id the library does not have
    ThrowBuiltIn("lesson", id);
  }
  return idempotency::WriteOnce<v1::Lesson>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto rows = tx.exec_prepared("lesson_lock", caller.org, id);
        if (rows.empty()) errors::Throw(errors::NotFound(kLessonType, id));
        v1::Lesson current = ReadLesson(rows[0]);
        CheckEtag(patch.etag(), current.etag(), "the lesson");
        MergeLesson(current, patch, paths);
        errors::Validator v;
        domain::CheckLesson(v, "lesson", ToDomain(current));
        ThrowIfInvalid(v);
        return ReadLesson(tx.exec_prepared1("lesson_update", caller.org, id, current.title(),
                                            static_cast<int>(current.modality()), current.module(),
                                            Body(LessonBody(current))));
      },
      {.invalidate = [&](const v1::Lesson&) { cache_.Invalidate({cache::Key(caller.org, "lesson", id)}); }});
}

// ---- tracks ---------------------------------------------------------------

void LibraryStore::RequireLessons(pqxx::work& tx, const auth::Caller& caller, const v1::Track& track,
                                  const std::string& prefix) {
  std::vector<std::string> own;
  for (const auto& m : track.modules()) {
    for (const auto& id : m.lesson_ids()) {
      if (!domain::IsBuiltInId(id)) own.push_back(id);
    }
  }
  std::set<std::string> known;
  if (!own.empty()) {
    for (const auto& r : tx.exec_prepared("lesson_ids_known", caller.org, sql::TextArray(own))) {
      known.insert(r[0].c_str());
    }
  }
  for (int m = 0; m < track.modules_size(); ++m) {
    for (int l = 0; l < track.modules(m).lesson_ids_size(); ++l) {
      const std::string& id = track.modules(m).lesson_ids(l);
      const bool found = domain::IsBuiltInId(id) ? domain::StarterLibrary().FindLesson(id) != nullptr
                                                 : known.count(id) > 0;
      if (!found) {
        grpc::Status nf = errors::NotFound(kLessonType, id);
        errors::Throw(grpc::Status(nf.error_code(),
                                   prefix + ".modules[" + std::to_string(m) + "].lesson_ids[" +
                                       std::to_string(l) + "]: " + nf.error_message(),
                                   nf.error_details()));
      }
    }
  }
}

v1::Track LibraryStore::CreateTrack(const auth::Caller& caller, const v1::Track& track, const WriteKey& key) {
  return idempotency::WriteOnce<v1::Track>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        RequireLessons(tx, caller, track, "track");
        return ReadTrack(tx.exec_prepared1("track_insert", caller.org, track.title(),
                                           static_cast<int>(track.modality()), Body(TrackBody(track)),
                                           std::string()));
      });
}

v1::Track LibraryStore::GetTrack(const auth::Caller& caller, const std::string& id) {
  if (id.empty()) errors::Throw(errors::InvalidArgument("id", "is required"));
  if (domain::IsBuiltInId(id)) {
    const domain::Track* t = domain::StarterLibrary().FindTrack(id);
    if (t == nullptr) errors::Throw(errors::NotFound(kTrackType, id));
    return BuiltInTrack(*t);
  }
  auto bytes = cache_.GetOrLoad(
      cache::Key(caller.org, "track", id), kObjectTtl,
      [&]() -> std::optional<std::string> {
        return pool_.Read([&](pqxx::work& tx) -> std::optional<std::string> {
          auto rows = tx.exec_prepared("track_get", caller.org, id);
          if (rows.empty()) return std::nullopt;
          return ReadTrack(rows[0]).SerializeAsString();
        }, "track_get");
      },
      "track");
  v1::Track out;
  if (!bytes || !out.ParseFromString(*bytes)) errors::Throw(errors::NotFound(kTrackType, id));
  return out;
}

Listed<v1::Track> LibraryStore::ListTracks(const auth::Caller& caller, const v1::ListTracksRequest& req) {
  const bool include_built_in = !req.has_include_built_in() || req.include_built_in();
  const std::string filters = "tracks|" + std::to_string(req.modality()) + "|" + (include_built_in ? "b" : "");
  paging::Page page = paging::Parse(req.page_size(), "", filters);
  std::vector<std::string> after = DecodeKeyToken(req.page_token(), filters, 2);
  auto key = [](const v1::Track& t) { return std::vector<std::string>{t.title(), t.id()}; };
  std::vector<v1::Track> built_in;
  if (include_built_in) {
    for (const auto& t : domain::StarterLibrary().tracks()) {
      v1::Track b = BuiltInTrack(t);
      if (req.modality() != 0 && b.modality() != req.modality()) continue;
      if (!after.empty() && !(after < key(b))) continue;
      built_in.push_back(std::move(b));
    }
  }
  const bool has_after = !after.empty();
  auto rows = pool_.Read([&](pqxx::work& tx) {
    return tx.exec_prepared("track_list", caller.org, static_cast<int>(req.modality()), has_after,
                            has_after ? after[0] : "", has_after ? after[1] : "", page.size + 1);
  }, "track_list");
  return MergePage<v1::Track>(std::move(built_in), rows, &ReadTrack, page.size, key, filters);
}

v1::Track LibraryStore::UpdateTrack(const auth::Caller& caller, const v1::Track& patch,
                                    const std::vector<std::string>& paths, const WriteKey& key) {
  const std::string& id = patch.id();
  if (domain::IsBuiltInId(id)) {
    GetTrack(caller, id);
    ThrowBuiltIn("track", id);
  }
  return idempotency::WriteOnce<v1::Track>(
      pool_, caller, key.method, key.request, key.request_id,
      [&](pqxx::work& tx) {
        auto rows = tx.exec_prepared("track_lock", caller.org, id);
        if (rows.empty()) errors::Throw(errors::NotFound(kTrackType, id));
        v1::Track current = ReadTrack(rows[0]);
        CheckEtag(patch.etag(), current.etag(), "the track");
        MergeTrack(current, patch, paths);
        errors::Validator v;
        domain::CheckTrack(v, "track", ToDomain(current));
        ThrowIfInvalid(v);
        RequireLessons(tx, caller, current, "track");
        return ReadTrack(tx.exec_prepared1("track_update", caller.org, id, current.title(),
                                           static_cast<int>(current.modality()), Body(TrackBody(current))));
      },
      {.invalidate = [&](const v1::Track&) { cache_.Invalidate({cache::Key(caller.org, "track", id)}); }});
}

v1::Track LibraryStore::CopyTrack(const auth::Caller& caller, const v1::CopyTrackRequest& req,
                                  const WriteKey& key) {
  v1::Track source = GetTrack(caller, req.id());
  return idempotency::WriteOnce<v1::Track>(
      pool_, caller, key.method, key.request, key.request_id, [&](pqxx::work& tx) {
        v1::Track copy = source;
        if (req.copy_lessons()) {
          // A lesson listed twice (e.g. mindfulness between modules) is copied once.
          std::map<std::string, std::string> copied;
          for (auto& module : *copy.mutable_modules()) {
            for (auto& id : *module.mutable_lesson_ids()) {
              auto it = copied.find(id);
              if (it == copied.end()) {
                v1::Lesson original = LoadLesson(tx, caller, id);
                v1::Lesson fresh = ReadLesson(tx.exec_prepared1(
                    "lesson_insert", caller.org, original.title(), static_cast<int>(original.modality()),
                    original.module(), Body(LessonBody(original))));
                it = copied.emplace(id, fresh.id()).first;
              }
              id = it->second;
            }
          }
        }
        const std::string title = req.title().empty() ? source.title() : req.title();
        return ReadTrack(tx.exec_prepared1("track_insert", caller.org, title, static_cast<int>(copy.modality()),
                                           Body(TrackBody(copy)), source.id()));
      });
}

}  // namespace iop::curriculum::store
