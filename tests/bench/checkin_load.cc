// Load driver for attendance CheckIn (make bench, P2).
//
// Seeds one group through scheduling (a full roster, Monday-Friday for a
// year), then keeps --callers CheckIn calls in flight for a fixed time, as
// that many front desks would, written as HTTP/2 frames from one thread
// (h2_channel.h) so that the driver takes little of the CPU it shares with
// what it measures. Every call
// is a distinct (session, client) pair with its own request_id, so each one
// is a real durable write: a roster check, the idempotency claim, the record,
// its version and the audit event. Prints one line:
//   <calls/s> <calls> <p50 µs> <p99 µs> <this process's CPU µs per call>
// and exits 1 if any call did not end OK.
//
// usage: iop-checkin-load --scheduling HOST:PORT --attendance HOST:PORT
//          --token JWT [--clients 100] [--callers 16] [--seconds 5]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "h2_channel.h"
#include "iop/attendance/v1/attendance.grpc.pb.h"
#include "iop/scheduling/v1/scheduling.grpc.pb.h"

namespace {

namespace sched = iop::scheduling::v1;
namespace att = iop::attendance::v1;
namespace bench = iop::bench;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string scheduling, attendance, token;
  int clients = 100;
  int callers = 16;
  int seconds = 5;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--scheduling") o.scheduling = v;
    else if (k == "--attendance") o.attendance = v;
    else if (k == "--token") o.token = v;
    else if (k == "--clients") o.clients = std::stoi(v);
    else if (k == "--callers") o.callers = std::stoi(v);
    else if (k == "--seconds") o.seconds = std::stoi(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  if (o.scheduling.empty() || o.attendance.empty() || o.token.empty()) {
    throw std::invalid_argument("--scheduling, --attendance and --token are required");
  }
  return o;
}

class Context {
 public:
  explicit Context(const std::string& token) {
    ctx_.AddMetadata("authorization", "Bearer " + token);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  grpc::ClientContext* get() { return &ctx_; }

 private:
  grpc::ClientContext ctx_;
};

template <class Stub, class Req, class Resp>
Resp Must(Stub* stub, grpc::Status (Stub::*fn)(grpc::ClientContext*, const Req&, Resp*),
          const std::string& token, const Req& req, const char* what) {
  Resp out;
  Context ctx(token);
  grpc::Status s = (stub->*fn)(ctx.get(), req, &out);
  if (!s.ok()) throw std::runtime_error(std::string(what) + ": " + s.error_message());
  return out;
}

struct Seeded {
  std::vector<std::string> session_ids;
  std::vector<std::string> client_ids;
};

// A site, room, facilitator, program and one full group; its session ids
// follow the contract's "<group_id>_<YYYYMMDD>".
Seeded Seed(const Options& o) {
  auto channel = grpc::CreateChannel(o.scheduling, grpc::InsecureChannelCredentials());
  auto stub = sched::SchedulingService::NewStub(channel);
  using S = sched::SchedulingService::Stub;
  const std::string& t = o.token;

  sched::CreateSiteRequest site_req;
  site_req.mutable_site()->set_display_name("Check-in bench");
  site_req.mutable_site()->set_time_zone("America/New_York");
  auto site = Must(stub.get(), &S::CreateSite, t, site_req, "CreateSite");

  sched::CreateRoomRequest room_req;
  room_req.mutable_room()->set_site_id(site.id());
  room_req.mutable_room()->set_display_name("Large room");
  room_req.mutable_room()->set_capacity(o.clients);
  auto room = Must(stub.get(), &S::CreateRoom, t, room_req, "CreateRoom");

  sched::CreateStaffRequest staff_req;
  staff_req.mutable_staff()->set_display_name("Facilitator");
  staff_req.mutable_staff()->add_site_ids(site.id());
  auto staff = Must(stub.get(), &S::CreateStaff, t, staff_req, "CreateStaff");

  sched::CreateProgramRequest program_req;
  program_req.mutable_program()->set_site_id(site.id());
  program_req.mutable_program()->set_display_name("Adult IOP");
  program_req.mutable_program()->set_age_group(sched::AGE_GROUP_ADULT);
  program_req.mutable_program()->set_focus(sched::PROGRAM_FOCUS_MENTAL_HEALTH);
  auto program = Must(stub.get(), &S::CreateProgram, t, program_req, "CreateProgram");

  const absl::CivilDay first(2030, 1, 7), last(2030, 12, 31);  // a Monday
  sched::CreateGroupRequest group_req;
  auto* g = group_req.mutable_group();
  g->set_program_id(program.id());
  g->set_display_name("Morning group");
  g->set_modality(iop::common::v1::MODALITY_DBT_SKILLS);
  g->add_facilitator_ids(staff.id());
  g->set_room_id(room.id());
  g->set_max_size(o.clients);
  auto* rec = g->mutable_recurrence();
  for (int d = 1; d <= 5; ++d) rec->add_weekdays(static_cast<iop::common::v1::Weekday>(d));
  rec->set_start_local_time("09:00");
  rec->set_duration_minutes(180);
  rec->set_starts_on("2030-01-07");
  rec->set_ends_on("2030-12-31");
  auto group = Must(stub.get(), &S::CreateGroup, t, group_req, "CreateGroup");

  Seeded out;
  for (int i = 0; i < o.clients; ++i) {
    sched::CreateClientRequest client_req;
    client_req.mutable_client()->set_display_name("Client " + std::to_string(i));
    client_req.mutable_client()->set_age_group(sched::AGE_GROUP_ADULT);
    client_req.mutable_client()->set_site_id(site.id());
    auto client = Must(stub.get(), &S::CreateClient, t, client_req, "CreateClient");
    sched::EnrollClientRequest enroll;
    enroll.set_group_id(group.id());
    enroll.set_client_id(client.id());
    enroll.set_start_date("2030-01-07");
    enroll.set_request_id("bench-enroll-" + client.id());
    Must(stub.get(), &S::EnrollClient, t, enroll, "EnrollClient");
    out.client_ids.push_back(client.id());
  }
  for (absl::CivilDay d = first; d <= last; ++d) {
    if (absl::GetWeekday(d) == absl::Weekday::saturday || absl::GetWeekday(d) == absl::Weekday::sunday) {
      continue;
    }
    char date[16];
    std::snprintf(date, sizeof date, "%04d%02d%02d", static_cast<int>(d.year()), d.month(), d.day());
    out.session_ids.push_back(group.id() + "_" + date);
  }
  return out;
}

// CPU time this process has used so far (all threads, user and system).
double CpuMicros() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto micros = [](const timeval& t) { return t.tv_sec * 1e6 + static_cast<double>(t.tv_usec); };
  return micros(u.ru_utime) + micros(u.ru_stime);
}

// One of the calls kept in flight: when its CheckIn ends it records the
// latency and starts the next, until the time is up or the pairs run out.
struct Lane {
  bench::H2Channel* channel = nullptr;
  Clock::time_point sent;
  std::vector<double> latencies_us;
};

class Load {
 public:
  Load(const Options& o, const Seeded& seeded)
      : o_(o), seeded_(seeded), pairs_(seeded.session_ids.size() * seeded.client_ids.size()) {}

  // Keeps a call in flight on every lane until the deadline; true
  // when every call ended OK with a PRESENT record.
  bool Run(std::vector<Lane>& lanes, const std::vector<bench::H2Channel*>& channels,
           Clock::time_point deadline) {
    deadline_ = deadline;
    running_ = lanes.size();
    for (Lane& lane : lanes) Next(lane);
    bench::Serve(channels, [&] { return running_ == 0; });
    return first_error_.empty();
  }
  const std::string& first_error() const { return first_error_; }

 private:
  void Next(Lane& lane) {
    const size_t i = next_++;
    if (!first_error_.empty() || i >= pairs_ || Clock::now() >= deadline_) {
      --running_;
      return;
    }
    // Clients of one session in turn, as a front desk checks them in.
    att::CheckInRequest req;
    req.set_session_id(seeded_.session_ids[i / seeded_.client_ids.size()]);
    req.set_client_id(seeded_.client_ids[i % seeded_.client_ids.size()]);
    req.set_request_id("bench-checkin-" + std::to_string(i));
    lane.sent = Clock::now();
    lane.channel->Call(kCheckIn, req.SerializeAsString(), [this, &lane](const bench::UnaryResult& r) {
      lane.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - lane.sent).count());
      att::AttendanceRecord record;
      const bool ok = r.grpc_status == 0 && record.ParseFromString(r.message) &&
                      record.status() == att::ATTENDANCE_STATUS_PRESENT;
      if (!ok && first_error_.empty()) {
        first_error_ = r.grpc_status != 0 ? "grpc-status " + std::to_string(r.grpc_status) + " " + r.grpc_message
                                          : "record not PRESENT";
      }
      Next(lane);
    });
  }

  static constexpr const char* kCheckIn = "/iop.attendance.v1.AttendanceService/CheckIn";
  const Options& o_;
  const Seeded& seeded_;
  const size_t pairs_;
  Clock::time_point deadline_;
  size_t next_ = 0;
  size_t running_ = 0;  // lanes still calling
  std::string first_error_;
};

int Run(const Options& o) {
  const Seeded seeded = Seed(o);
  // Four calls in flight per connection, as a few front desks share one.
  std::vector<std::unique_ptr<bench::H2Channel>> owned;
  std::vector<bench::H2Channel*> channels;
  for (int i = 0; i < std::max(1, o.callers / 4); ++i) {
    owned.push_back(std::make_unique<bench::H2Channel>(o.attendance, "Bearer " + o.token));
    channels.push_back(owned.back().get());
  }
  std::vector<Lane> lanes(static_cast<size_t>(std::max(1, o.callers)));
  for (size_t w = 0; w < lanes.size(); ++w) lanes[w].channel = channels[w % channels.size()];

  Load load(o, seeded);
  const auto started = Clock::now();
  const double cpu_started = CpuMicros();
  const bool ok = load.Run(lanes, channels, started + std::chrono::seconds(o.seconds));
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu_used = CpuMicros() - cpu_started;
  if (!ok) {
    std::fprintf(stderr, "iop-checkin-load: CheckIn failed: %s\n", load.first_error().c_str());
    return 1;
  }
  std::vector<double> latencies_us;
  for (const Lane& lane : lanes) {
    latencies_us.insert(latencies_us.end(), lane.latencies_us.begin(), lane.latencies_us.end());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    if (latencies_us.empty()) return 0.0;
    size_t k = std::min(latencies_us.size() - 1, static_cast<size_t>(p * latencies_us.size()));
    return latencies_us[k];
  };
  const double calls = static_cast<double>(latencies_us.size());
  std::printf("%.1f %zu %.0f %.0f %.0f\n", calls / elapsed, latencies_us.size(), pct(0.50), pct(0.99),
              calls > 0 ? cpu_used / calls : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(Parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iop-checkin-load: %s\n", e.what());
    return 1;
  }
}
