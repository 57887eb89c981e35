// Security drills (DESIGN §3): every RPC of every service × every role, bad
// credentials and tenancy scope against the real services, checking the
// gRPC code of each cell and the audit record it leaves; plus the checks that
// keep the table honest (every RPC has a row, rows match the contract's
// "Callable by" lines, docs/security.md shows the same table).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <tuple>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "common/auth.h"
#include "common/raw_call.h"
#include "iop/common/v1/audit.pb.h"
#include "security/matrix.h"

namespace iop::security {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One call of the matrix, kept for the audit checks that follow.
struct Cell {
  const ServiceTable* table;
  const Row* row;
  Scope scope;
  Role role;
  std::string subject;
  grpc::StatusCode actual;
};

class SecurityDrill : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    platform_ = new Platform;
    world_ = new World;
    try {
      world_->Seed(*platform_);
    } catch (const std::exception& e) {
      seed_error_ = e.what();
    }
    tables_ = AllServices(*platform_);
  }
  static void TearDownTestSuite() {
    tables_.clear();
    delete world_;
    delete platform_;
  }
  void SetUp() override { ASSERT_EQ(seed_error_, "") << "the world could not be seeded"; }

  static std::string FullMethod(const ServiceTable& t, const Row& row) {
    return "/" + t.descriptor->full_name() + "/" + row.method;
  }

  // The request a row sends at a target, built once per target so every
  // caller sends the same bytes (and the same request_id).
  const google::protobuf::Message& RequestFor(const ServiceTable& t, const Row& row, Target target,
                                              const std::string& tag = "") {
    auto key = std::make_tuple(t.short_name, row.method, static_cast<int>(target), tag);
    auto it = requests_.find(key);
    if (it == requests_.end()) {
      Build b{world_->At(target),
              row.method + "-" + std::to_string(static_cast<int>(target)) + tag + "-" + world_->run, *platform_};
      it = requests_.emplace(key, row.request(b)).first;
    }
    return *it->second;
  }

  static grpc::Status Invoke(const ServiceTable& t, const Row& row, const google::protobuf::Message& request,
                             const std::string& token) {
    auto ctx = testing::WithToken(token);
    if (row.invoke) return row.invoke(t.channel, *ctx, request);
    std::string response;
    return client::RawUnaryCall(t.channel, ctx.get(), FullMethod(t, row), request.SerializeAsString(), &response);
  }

  static std::string BadTokenValue(BadToken b) {
    switch (b) {
      case BadToken::kMissing: return "";
      case BadToken::kExpired:
        return auth::MintToken(testing::kTestSecret,
                               {.subject = "expired", .org = world_->org_a, .roles = {"admin"}},
                               auth::Authenticator::Clock::now() - std::chrono::hours(2));
      case BadToken::kForged:
        return auth::MintToken("not-the-server-secret-0123456789abcdef",
                               {.subject = "forger", .org = world_->org_a, .roles = {"admin"}});
    }
    return "";
  }

  static inline Platform* platform_ = nullptr;
  static inline World* world_ = nullptr;
  static inline std::string seed_error_;
  static inline std::vector<ServiceTable> tables_;
  std::map<std::tuple<std::string, std::string, int, std::string>, std::unique_ptr<google::protobuf::Message>> requests_;
};

TEST_F(SecurityDrill, EveryRpcOfEveryServiceHasExactlyOneRow) {
  ASSERT_FALSE(tables_.empty());
  for (const auto& t : tables_) {
    std::map<std::string, int> rows;
    for (const auto& r : t.rows) ++rows[r.method];
    for (int i = 0; i < t.descriptor->method_count(); ++i) {
      const std::string name = t.descriptor->method(i)->name();
      EXPECT_EQ(rows[name], 1) << t.descriptor->full_name() << "/" << name
                               << " needs exactly one row in tests/security/rows_" << t.short_name << ".cc";
      rows.erase(name);
    }
    for (const auto& [name, n] : rows) ADD_FAILURE() << "row " << name << " names no RPC of " << t.short_name;
  }
}

// The contract says who may call each RPC in a "Callable by:" comment line
// right above it; the rows must say the same.
TEST_F(SecurityDrill, RowsAgreeWithTheContractsCallableByLines) {
  const std::regex rpc_line(R"(^\s*rpc\s+(\w+)\s*\()");
  for (const auto& t : tables_) {
    const std::string path =
        std::string(IOP_SOURCE_DIR) + "/protos/iop/" + t.short_name + "/v1/" + t.short_name + ".proto";
    std::istringstream proto(ReadFile(path));
    ASSERT_FALSE(proto.str().empty()) << path;
    std::map<std::string, unsigned> contract;
    std::string line, callable;
    while (std::getline(proto, line)) {
      auto at = line.find("Callable by:");
      if (at != std::string::npos) callable = line.substr(at);
      std::smatch m;
      if (std::regex_search(line, m, rpc_line)) {
        unsigned roles = 0;
        for (Role r : kRoles) {
          if (std::regex_search(callable, std::regex(std::string("\\b") + RoleName(r) + "\\b"))) {
            roles |= 1u << static_cast<int>(r);
          }
        }
        EXPECT_FALSE(callable.empty()) << m[1] << " has no Callable by line in " << path;
        contract[m[1]] = roles;
        callable.clear();
      }
    }
    for (const auto& row : t.rows) {
      ASSERT_TRUE(contract.count(row.method)) << row.method << " not in " << path;
      EXPECT_EQ(row.roles, contract[row.method]) << t.short_name << "/" << row.method;
    }
  }
}

TEST_F(SecurityDrill, DocsShowTheSameTable) {
  const std::string docs = ReadFile(std::string(IOP_SOURCE_DIR) + "/docs/security.md");
  ASSERT_FALSE(docs.empty()) << "docs/security.md is missing";
  for (const auto& t : tables_) {
    const std::string begin = "<!-- matrix:" + t.short_name + ":begin -->\n";
    const std::string end = "<!-- matrix:" + t.short_name + ":end -->";
    auto b = docs.find(begin);
    auto e = docs.find(end);
    ASSERT_TRUE(b != std::string::npos && e != std::string::npos && b < e) << "markers of " << t.short_name;
    EXPECT_EQ(docs.substr(b + begin.size(), e - b - begin.size()), MarkdownTable(t))
        << "docs/security.md is out of date; the " << t.short_name << " table should read:\n"
        << MarkdownTable(t);
  }
}

TEST_F(SecurityDrill, DocsListTheKnownGaps) {
  const std::string docs = ReadFile(std::string(IOP_SOURCE_DIR) + "/docs/security.md");
  const std::string begin = "<!-- gaps:begin -->\n";
  auto b = docs.find(begin);
  auto e = docs.find("<!-- gaps:end -->");
  ASSERT_TRUE(b != std::string::npos && e != std::string::npos && b < e) << "gaps markers in docs/security.md";
  EXPECT_EQ(docs.substr(b + begin.size(), e - b - begin.size()), MarkdownGaps())
      << "docs/security.md's known gaps should read:\n"
      << MarkdownGaps();
}

TEST_F(SecurityDrill, EveryCellAnswersItsCodeAndLeavesTheRightAuditRecord) {
  std::vector<Cell> cells;
  std::set<const KnownGap*> gaps_seen;
  int unauthenticated_cells = 0;
  auto judge = [&](const std::string& method, Aspect aspect, Scope scope, Role role, grpc::StatusCode actual,
                   bool ok, const std::string& what) {
    if (ok) return;
    if (const KnownGap* gap = FindGap(method, aspect, scope, role, actual)) {
      gaps_seen.insert(gap);
      return;
    }
    ADD_FAILURE() << what;
  };

  for (const auto& t : tables_) {
    for (const auto& row : t.rows) {
      const std::string where = t.short_name + "/" + row.method;
      for (BadToken bad : kBadTokens) {
        grpc::Status s = Invoke(t, row, RequestFor(t, row, Target::kHome), BadTokenValue(bad));
        ++unauthenticated_cells;
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << where << " with " << BadTokenName(bad) << ": " << s.error_message();
      }
      for (Scope scope : kScopes) {
        const Target target = TargetOf(scope);
        const auto& request = RequestFor(t, row, target);
        // The owner reads first, so a cached copy exists when the outsider asks.
        if (row.read_only && target != Target::kHome) {
          const Place& owner = world_->At(target);
          grpc::Status warm = Invoke(t, row, request, testing::Token(owner.org, "admin", {}, "warm-cache"));
          EXPECT_EQ(warm.error_code(), row.ok) << where << " as the owner of " << ScopeName(scope) << ": "
                                               << warm.error_message();
        }
        const bool limited = scope == Scope::kOwnSiteLimited || scope == Scope::kOtherSite;
        for (Role role : kRoles) {
          const std::string subject = "drill-" + t.short_name + "-" + row.method + "-" + ScopeName(scope) + "-" +
                                      RoleName(role);
          auto sites = limited ? std::vector<std::string>{world_->home.site} : std::vector<std::string>{};
          grpc::Status s = Invoke(t, row, request, testing::Token(world_->org_a, RoleName(role), sites, subject));
          const grpc::StatusCode want = Expected(row, scope, role);
          judge(row.method, Aspect::kCode, scope, role, s.error_code(), s.error_code() == want,
                where + " " + ScopeName(scope) + " as " + RoleName(role) + ": expected " + CodeName(want) +
                    ", got " + CodeName(s.error_code()) + " (" + s.error_message() + ")");
          cells.push_back({&t, &row, scope, role, subject, s.error_code()});
        }
      }
    }
  }

  // Audit: read back every cell's record by its unique subject.
  for (const auto& cell : cells) {
    const auto& t = *cell.table;
    const auto& row = *cell.row;
    const std::string where = t.short_name + "/" + row.method + " " + ScopeName(cell.scope) + " as " +
                              RoleName(cell.role) + " (" + CodeName(cell.actual) + ")";
    iop::common::v1::ListAuditEventsRequest q;
    q.set_subject(cell.subject);
    q.set_page_size(10);
    std::string bytes;
    auto ctx = testing::WithToken(testing::Token(world_->org_a, "auditor", {}, "audit-reader"));
    grpc::Status s = client::RawUnaryCall(t.channel, ctx.get(), "/" + t.descriptor->full_name() + "/ListAuditEvents",
                                          q.SerializeAsString(), &bytes);
    ASSERT_TRUE(s.ok()) << "ListAuditEvents on " << t.short_name << ": " << s.error_message();
    iop::common::v1::ListAuditEventsResponse events;
    ASSERT_TRUE(events.ParseFromString(bytes));
    const int want = row.client_data ? 1 : 0;
    judge(row.method, Aspect::kAuditRecord, cell.scope, cell.role, cell.actual, events.audit_events_size() == want,
          where + ": expected " + std::to_string(want) + " audit record(s), found " +
              std::to_string(events.audit_events_size()));
    if (want != 1 || events.audit_events_size() != 1) continue;
    const auto& e = events.audit_events(0);
    const std::string full = FullMethod(t, row);
    judge(row.method, Aspect::kAuditMethod, cell.scope, cell.role, cell.actual, e.method() == full,
          where + ": audit method \"" + e.method() + "\", contract says \"" + full + "\"");
    EXPECT_EQ(e.org_id(), world_->org_a) << where;
    EXPECT_EQ(std::vector<std::string>(e.roles().begin(), e.roles().end()),
              std::vector<std::string>{RoleName(cell.role)})
        << where;
    EXPECT_EQ(e.outcome(), CodeName(cell.actual)) << where;
    // Ids are checked on calls that answered as specified (a wrong code is
    // reported above already).
    const bool as_specified = cell.actual == Expected(row, cell.scope, cell.role);
    const bool names_id = row.audited_id && as_specified && (cell.actual == grpc::StatusCode::OK ||
                                             (cell.actual == grpc::StatusCode::NOT_FOUND && row.id_when_not_found));
    if (names_id) {
      const std::string id = row.audited_id(world_->At(TargetOf(cell.scope)));
      bool found = std::find(e.resource_ids().begin(), e.resource_ids().end(), id) != e.resource_ids().end();
      std::string ids;
      for (const auto& r : e.resource_ids()) ids += r + " ";
      judge(row.method, Aspect::kAuditIds, cell.scope, cell.role, cell.actual, found,
            where + ": audit resource_ids [" + ids + "] lack " + id);
    }
  }

  for (const auto& gap : KnownGaps()) {
    if (gap.aspect == Aspect::kReplay) continue;  // checked by the replay drill
    EXPECT_TRUE(gaps_seen.count(&gap)) << "known gap no longer reproduces, remove it from known_gaps.cc: "
                                       << gap.method << " (" << AspectName(gap.aspect) << ") " << gap.what;
  }
  std::cout << "security matrix: " << cells.size() << " role/scope cells + " << unauthenticated_cells
            << " bad-credential cells over " << [&] {
                 size_t n = 0;
                 for (const auto& t : tables_) n += t.rows.size();
                 return n;
               }() << " RPCs; known gaps hit: " << gaps_seen.size() << "\n";
}

namespace {

// A singular string field of `m` (or of a message inside it), preferring one
// that holds something; its path goes to `path`.
using Poisonable = std::pair<google::protobuf::Message*, const google::protobuf::FieldDescriptor*>;
std::optional<Poisonable> StringFieldToPoison(google::protobuf::Message& m, std::string& path, int depth = 0) {
  using google::protobuf::FieldDescriptor;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  const FieldDescriptor* empty = nullptr;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->type() != FieldDescriptor::TYPE_STRING) continue;
    if (!r->GetString(m, f).empty()) {
      path = f->name();
      return Poisonable{&m, f};
    }
    if (empty == nullptr) empty = f;
  }
  for (int i = 0; i < d->field_count() && depth < 2; ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->type() != FieldDescriptor::TYPE_MESSAGE || !r->HasField(m, f)) continue;
    std::string inner;
    if (auto found = StringFieldToPoison(*r->MutableMessage(&m, f), inner, depth + 1)) {
      path = f->name() + "." + inner;
      return found;
    }
  }
  if (empty == nullptr) return std::nullopt;
  path = empty->name();
  return Poisonable{&m, empty};
}

}  // namespace

// PostgreSQL text cannot hold a NUL and libpq would cut the value there, so
// "<id>\0x" must never read or write "<id>": every RPC refuses the request,
// naming the field, whatever the handler does with it.
TEST_F(SecurityDrill, EveryRpcRefusesANulInsideAStringNamingTheField) {
  int probed = 0;
  for (const auto& t : tables_) {
    for (const auto& row : t.rows) {
      std::unique_ptr<google::protobuf::Message> request(RequestFor(t, row, Target::kHome).New());
      request->CopyFrom(RequestFor(t, row, Target::kHome));
      std::string path;
      auto field = StringFieldToPoison(*request, path);
      if (!field) continue;  // nothing textual to send
      auto [holder, f] = *field;
      holder->GetReflection()->SetString(holder, f, holder->GetReflection()->GetString(*holder, f) + std::string("\0x", 2));
      grpc::Status s = Invoke(t, row, *request, testing::Token(world_->org_a, "admin", {}, "nul-probe"));
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << t.short_name << "/" << row.method << " with a NUL in " << path << ": " << s.error_message();
      EXPECT_NE(s.error_message().find(path.substr(path.rfind('.') + 1)), std::string::npos)
          << t.short_name << "/" << row.method << ": the error names no field: " << s.error_message();
      ++probed;
    }
  }
  EXPECT_GT(probed, 60) << "nearly every RPC takes a string";
}

// A retried write returns its stored first result; that replay must not hand
// a site-limited caller what an unlimited caller wrote at another site.
TEST_F(SecurityDrill, ReplayingAnotherSitesRequestIdStaysNotFound) {
  int probed = 0;
  std::set<const KnownGap*> gaps_seen;
  for (const auto& t : tables_) {
    for (const auto& row : t.rows) {
      if (row.read_only || row.reach != Reach::kSite || !Allows(row.roles, Role::kAdmin)) continue;
      const auto& request = RequestFor(t, row, Target::kOtherSite, "replay");
      grpc::Status first = Invoke(t, row, request, testing::Token(world_->org_a, "admin", {}, "replay-owner"));
      ASSERT_EQ(first.error_code(), row.ok) << t.short_name << "/" << row.method << ": " << first.error_message();
      grpc::Status replay =
          Invoke(t, row, request, testing::Token(world_->org_a, "admin", {world_->home.site}, "replay-limited"));
      ++probed;
      if (replay.error_code() == grpc::StatusCode::NOT_FOUND) continue;
      if (const KnownGap* gap =
              FindGap(row.method, Aspect::kReplay, Scope::kOtherSite, Role::kAdmin, replay.error_code())) {
        gaps_seen.insert(gap);
        continue;
      }
      ADD_FAILURE() << t.short_name << "/" << row.method << " replayed by a caller limited to another site: "
                    << "expected NOT_FOUND, got " << CodeName(replay.error_code()) << " "
                    << replay.error_message();
    }
  }
  EXPECT_GT(probed, 10);
  for (const auto& gap : KnownGaps()) {
    if (gap.aspect != Aspect::kReplay) continue;
    EXPECT_TRUE(gaps_seen.count(&gap)) << "known gap no longer reproduces, remove it from known_gaps.cc: "
                                       << gap.method << " " << gap.what;
  }
}

}  // namespace
}  // namespace iop::security
