// Lessons, tracks and the starter library end to end: real gRPC server
// in-process, real PostgreSQL and Redis, tokens through the real verifier.
#include <gtest/gtest.h>

#include "curriculum/api/curriculum_harness.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "iop/curriculum/v1/curriculum.grpc.pb.h"

namespace iop::curriculum {
namespace {

namespace v1 = ::iop::curriculum::v1;
using iop::testing::Token;
using iop::testing::WithToken;

// "TYPE subject" of every PreconditionFailure violation in the status details.
std::vector<std::string> Violations(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status st;
  if (!st.ParseFromString(s.error_details())) return out;
  for (const auto& any : st.details()) {
    google::rpc::PreconditionFailure pf;
    if (!any.UnpackTo(&pf)) continue;
    for (const auto& v : pf.violations()) out.push_back(v.type() + " " + v.subject());
  }
  return out;
}

class LibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { service_ = new testing::CurriculumInProcess("curr_lib"); }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void SetUp() override { stub_ = v1::CurriculumService::NewStub(service_->Channel()); }

  std::string NewOrg() {
    return "org-" + std::to_string(next_org_++) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static v1::Lesson LessonOf(const std::string& title, int minutes_each = 10) {
    v1::Lesson l;
    l.set_title(title);
    l.set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
    l.set_module("Distress Tolerance");
    l.add_objectives("Use TIPP when arousal is high");
    for (int k = 1; k <= 5; ++k) {
      auto* p = l.add_phases();
      p->set_kind(static_cast<v1::PhaseKind>(k));
      p->set_minutes(minutes_each);
    }
    return l;
  }

  grpc::Status CreateLesson(const std::string& token, const v1::Lesson& l, v1::Lesson* out,
                            const std::string& request_id = "") {
    v1::CreateLessonRequest req;
    *req.mutable_lesson() = l;
    req.set_request_id(request_id);
    return stub_->CreateLesson(WithToken(token).get(), req, out);
  }

  grpc::Status GetLesson(const std::string& token, const std::string& id, v1::Lesson* out) {
    v1::GetLessonRequest req;
    req.set_id(id);
    return stub_->GetLesson(WithToken(token).get(), req, out);
  }

  grpc::Status GetTrack(const std::string& token, const std::string& id, v1::Track* out) {
    v1::GetTrackRequest req;
    req.set_id(id);
    return stub_->GetTrack(WithToken(token).get(), req, out);
  }

  grpc::Status CreateTrack(const std::string& token, const std::vector<std::vector<std::string>>& modules,
                           v1::Track* out) {
    v1::CreateTrackRequest req;
    req.mutable_track()->set_title("Our DBT");
    req.mutable_track()->set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
    req.mutable_track()->set_rolling_admission(true);
    int i = 0;
    for (const auto& lessons : modules) {
      auto* m = req.mutable_track()->add_modules();
      m->set_title("Module " + std::to_string(++i));
      for (const auto& id : lessons) m->add_lesson_ids(id);
    }
    return stub_->CreateTrack(WithToken(token).get(), req, out);
  }

  static testing::CurriculumInProcess* service_;
  std::unique_ptr<v1::CurriculumService::Stub> stub_;
  static inline int next_org_ = 0;
};

testing::CurriculumInProcess* LibraryTest::service_ = nullptr;

TEST_F(LibraryTest, CreateGetAndUpdateLessonWithEtag) {
  const std::string clinician = Token(NewOrg(), "clinician");
  v1::Lesson created;
  ASSERT_TRUE(CreateLesson(clinician, LessonOf("TIPP skills"), &created).ok());
  EXPECT_FALSE(created.id().empty());
  EXPECT_EQ(created.total_minutes(), 50);
  EXPECT_FALSE(created.built_in());
  v1::Lesson got;
  ASSERT_TRUE(GetLesson(clinician, created.id(), &got).ok());
  EXPECT_EQ(got.title(), "TIPP skills");
  ASSERT_EQ(got.phases_size(), 5);

  v1::UpdateLessonRequest up;
  up.mutable_lesson()->set_id(created.id());
  up.mutable_lesson()->set_etag(created.etag());
  up.mutable_lesson()->set_homework("Practise paced breathing daily");
  v1::Lesson updated;
  ASSERT_TRUE(stub_->UpdateLesson(WithToken(clinician).get(), up, &updated).ok());
  EXPECT_EQ(updated.homework(), "Practise paced breathing daily");
  EXPECT_EQ(updated.title(), "TIPP skills");
  EXPECT_NE(updated.etag(), created.etag());
  // The cache was invalidated: a read sees the change.
  ASSERT_TRUE(GetLesson(clinician, created.id(), &got).ok());
  EXPECT_EQ(got.homework(), "Practise paced breathing daily");
  // The old etag is stale now.
  up.mutable_lesson()->set_homework("again");
  EXPECT_EQ(stub_->UpdateLesson(WithToken(clinician).get(), up, &updated).error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(LibraryTest, PhasesOutOfOrderOrTooLongAreInvalid) {
  const std::string admin = Token(NewOrg(), "admin");
  v1::Lesson l = LessonOf("Backwards");
  l.mutable_phases()->SwapElements(0, 4);
  v1::Lesson out;
  grpc::Status s = CreateLesson(admin, l, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("lesson.phases[4].kind"), std::string::npos) << s.error_message();
  s = CreateLesson(admin, LessonOf("Marathon", 145), &out);  // 725 minutes
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("lesson.phases"), std::string::npos);
}

TEST_F(LibraryTest, CreateIsIdempotentByRequestId) {
  const std::string admin = Token(NewOrg(), "admin");
  v1::Lesson a, b, c;
  ASSERT_TRUE(CreateLesson(admin, LessonOf("Once"), &a, "req-1").ok());
  ASSERT_TRUE(CreateLesson(admin, LessonOf("Once"), &b, "req-1").ok());
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(CreateLesson(admin, LessonOf("Different"), &c, "req-1").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LibraryTest, StarterLibraryIsVisibleToEveryOrgAndImmutable) {
  for (const std::string& org : {NewOrg(), NewOrg()}) {
    const std::string admin = Token(org, "admin");
    v1::Track dbt;
    ASSERT_TRUE(GetTrack(admin, "builtin-track-dbt-skills", &dbt).ok());
    EXPECT_TRUE(dbt.built_in());
    EXPECT_TRUE(dbt.org_id().empty());
    ASSERT_EQ(dbt.modules_size(), 4);
    EXPECT_EQ(dbt.modules(3).title(), "Interpersonal Effectiveness");

    v1::UpdateTrackRequest ut;
    ut.mutable_track()->set_id(dbt.id());
    ut.mutable_track()->set_title("Mine now");
    v1::Track t;
    grpc::Status s = stub_->UpdateTrack(WithToken(admin).get(), ut, &t);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(Violations(s), std::vector<std::string>{"BUILT_IN builtin-track-dbt-skills"}) << s.error_message();

    v1::UpdateLessonRequest ul;
    ul.mutable_lesson()->set_id("builtin-dbt-mindfulness-1");
    ul.mutable_lesson()->set_homework("none");
    v1::Lesson l;
    s = stub_->UpdateLesson(WithToken(admin).get(), ul, &l);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(Violations(s), std::vector<std::string>{"BUILT_IN builtin-dbt-mindfulness-1"});
    ASSERT_TRUE(GetLesson(admin, "builtin-dbt-mindfulness-1", &l).ok());
    EXPECT_NE(l.homework(), "none");
    EXPECT_TRUE(l.built_in());
  }
  // A built-in-looking id that does not exist is simply not found.
  v1::Lesson l;
  EXPECT_EQ(GetLesson(Token(NewOrg(), "admin"), "builtin-nope", &l).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LibraryTest, CopyTrackWithLessonsMakesAnAdaptableCopy) {
  const std::string admin = Token(NewOrg(), "admin");
  v1::CopyTrackRequest req;
  req.set_id("builtin-track-dbt-skills");
  req.set_title("Riverside DBT");
  req.set_copy_lessons(true);
  v1::Track copy;
  ASSERT_TRUE(stub_->CopyTrack(WithToken(admin).get(), req, &copy).ok());
  EXPECT_FALSE(copy.built_in());
  EXPECT_EQ(copy.copied_from_track_id(), "builtin-track-dbt-skills");
  EXPECT_EQ(copy.title(), "Riverside DBT");
  ASSERT_EQ(copy.modules_size(), 4);
  const std::string first = copy.modules(0).lesson_ids(0);
  EXPECT_NE(first, "builtin-dbt-mindfulness-1");
  v1::Lesson lesson;
  ASSERT_TRUE(GetLesson(admin, first, &lesson).ok());
  EXPECT_EQ(lesson.title(), "Wise mind");
  EXPECT_FALSE(lesson.built_in());
  // The copy can change.
  v1::UpdateLessonRequest up;
  up.mutable_lesson()->set_id(first);
  up.mutable_lesson()->set_title("Wise mind (adapted)");
  ASSERT_TRUE(stub_->UpdateLesson(WithToken(admin).get(), up, &lesson).ok());
  // Without copy_lessons the copy points at the built-in lessons.
  req.set_copy_lessons(false);
  ASSERT_TRUE(stub_->CopyTrack(WithToken(admin).get(), req, &copy).ok());
  EXPECT_EQ(copy.modules(0).lesson_ids(0), "builtin-dbt-mindfulness-1");
}

TEST_F(LibraryTest, AnotherOrgsLessonsAndTracksAreNotFound) {
  const std::string mine = Token(NewOrg(), "admin");
  const std::string theirs = Token(NewOrg(), "admin");
  v1::Lesson lesson;
  ASSERT_TRUE(CreateLesson(mine, LessonOf("Private"), &lesson).ok());
  v1::Track track;
  ASSERT_TRUE(CreateTrack(mine, {{lesson.id(), "builtin-dbt-mindfulness-1"}}, &track).ok());

  v1::Lesson l;
  v1::Track t;
  EXPECT_EQ(GetLesson(theirs, lesson.id(), &l).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetTrack(theirs, track.id(), &t).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::UpdateLessonRequest up;
  up.mutable_lesson()->set_id(lesson.id());
  up.mutable_lesson()->set_title("Stolen");
  EXPECT_EQ(stub_->UpdateLesson(WithToken(theirs).get(), up, &l).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::CopyTrackRequest copy;
  copy.set_id(track.id());
  EXPECT_EQ(stub_->CopyTrack(WithToken(theirs).get(), copy, &t).error_code(), grpc::StatusCode::NOT_FOUND);
  // Nor can another org's lesson be put in a track.
  grpc::Status s = CreateTrack(theirs, {{lesson.id()}}, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("track.modules[0].lesson_ids[0]"), std::string::npos) << s.error_message();
  // Lists show only the org's own (and built-in) rows.
  v1::ListLessonsRequest list;
  list.set_include_built_in(false);
  v1::ListLessonsResponse resp;
  ASSERT_TRUE(stub_->ListLessons(WithToken(theirs).get(), list, &resp).ok());
  EXPECT_EQ(resp.lessons_size(), 0);
}

TEST_F(LibraryTest, ListsMergeBuiltInAndOwnInOrderAcrossPages) {
  const std::string admin = Token(NewOrg(), "admin");
  v1::Lesson own;
  v1::Lesson l = LessonOf("Aaa first of its module");
  l.set_module("Distress Tolerance");
  ASSERT_TRUE(CreateLesson(admin, l, &own).ok());
  v1::ListLessonsRequest req;
  req.set_page_size(7);
  std::vector<v1::Lesson> all;
  for (int pages = 0; pages < 20; ++pages) {
    v1::ListLessonsResponse resp;
    ASSERT_TRUE(stub_->ListLessons(WithToken(admin).get(), req, &resp).ok());
    for (const auto& x : resp.lessons()) all.push_back(x);
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  ASSERT_GT(all.size(), 30u);
  bool found_own = false;
  for (size_t i = 1; i < all.size(); ++i) {
    auto key = [](const v1::Lesson& x) { return std::make_tuple(x.module(), x.title(), x.id()); };
    EXPECT_LT(key(all[i - 1]), key(all[i]));
    found_own = found_own || all[i].id() == own.id();
  }
  EXPECT_TRUE(found_own);
  // Filter by module.
  v1::ListLessonsRequest by_module;
  by_module.set_module("Distress Tolerance");
  v1::ListLessonsResponse resp;
  ASSERT_TRUE(stub_->ListLessons(WithToken(admin).get(), by_module, &resp).ok());
  ASSERT_EQ(resp.lessons_size(), 4);
  EXPECT_EQ(resp.lessons(0).id(), own.id());
  // A token with other filters is refused.
  req.set_module("Trauma");
  v1::ListLessonsResponse bad;
  EXPECT_EQ(stub_->ListLessons(WithToken(admin).get(), req, &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LibraryTest, OnlyAdminAndClinicianMayUseTheCurriculum) {
  const std::string org = NewOrg();
  v1::Lesson l;
  for (const char* role : {"front_desk", "partner", "auditor"}) {
    EXPECT_EQ(CreateLesson(Token(org, role), LessonOf("No"), &l).error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << role;
    EXPECT_EQ(GetLesson(Token(org, role), "builtin-dbt-mindfulness-1", &l).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << role;
  }
  EXPECT_EQ(GetLesson("", "builtin-dbt-mindfulness-1", &l).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace iop::curriculum
