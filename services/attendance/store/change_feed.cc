#include "attendance/store/change_feed.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/db.h"
#include "common/log.h"

namespace iop::attendance::store {
namespace {

constexpr const char* kChannel = "iop_attendance_events";
// The longest one wait for input lasts; Wake() ends it sooner.
constexpr int kWaitMillis = 1000;
// While listening the session's application_name ends with this; the
// announcing trigger (migration 0003) sends nothing when no session does.
constexpr const char* kListeningSuffix = " (listening)";
// How long a new listener waits at most for the writes that may have
// looked for it before it showed (see WaitOutEarlierWrites), and how often
// it asks.
constexpr auto kEarlierWritesWait = std::chrono::seconds(5);
constexpr auto kEarlierWritesPoll = std::chrono::milliseconds(1);

int NewEventFd() {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return fd;
}

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::function<void(const std::string&)> on_payload)
      : pqxx::notification_receiver(conn, kChannel), on_payload_(std::move(on_payload)) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { on_payload_(payload); }

 private:
  std::function<void(const std::string&)> on_payload_;
};

}  // namespace

std::optional<RecordChange> ParseRecordChange(std::string_view payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  RecordChange c;
  for (auto [field, out] : {std::pair{"org", &c.org}, std::pair{"session", &c.session_id},
                            std::pair{"record", &c.record_id}}) {
    auto it = json.find(field);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    *out = it->get<std::string>();
  }
  auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1) {
    return std::nullopt;
  }
  c.version = version->get<std::int64_t>();
  auto kind = json.find("kind");
  if (kind == json.end() || !kind->is_string()) return std::nullopt;
  const auto& k = kind->get_ref<const std::string&>();
  if (k == "checked_in") {
    c.kind = RecordChange::Kind::kCheckedIn;
  } else if (k == "checked_out") {
    c.kind = RecordChange::Kind::kCheckedOut;
  } else if (k == "recorded") {
    c.kind = RecordChange::Kind::kRecorded;
  } else {
    return std::nullopt;
  }
  return c;
}

ChangeFeed::ChangeFeed(std::string conninfo, Handler handler, prometheus::Registry& registry,
                       std::chrono::milliseconds retry_after)
    : conninfo_(std::move(conninfo)),
      handler_(std::move(handler)),
      retry_after_(retry_after),
      up_(prometheus::BuildGauge()
              .Name("iop_attendance_change_feed_up")
              .Help("1 while this replica's connection for other replicas' attendance changes is up "
                    "(it listens on it while someone here watches)")
              .Register(registry)
              .Add({})),
      listening_gauge_(prometheus::BuildGauge()
                           .Name("iop_attendance_change_feed_listening")
                           .Help("1 while this replica listens for other replicas' attendance changes")
                           .Register(registry)
                           .Add({})),
      wake_fd_(NewEventFd()) {}

ChangeFeed::~ChangeFeed() {
  Stop();
  close(wake_fd_);
}

ChangeFeed::Interest& ChangeFeed::Interest::operator=(Interest&& other) noexcept {
  if (this != &other) {
    Release();
    feed_ = std::exchange(other.feed_, nullptr);
  }
  return *this;
}

void ChangeFeed::Interest::Release() {
  if (feed_ != nullptr) std::exchange(feed_, nullptr)->Release();
}

void ChangeFeed::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
}

void ChangeFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  Wake();
  if (thread_.joinable()) thread_.join();
}

ChangeFeed::Interest ChangeFeed::Want(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  if (++wanted_ == 1) Wake();
  changed_.wait_for(lock, max_wait, [this] { return listening_ || lost_ || stop_; });
  return Interest(this);
}

void ChangeFeed::Release() {
  std::lock_guard lock(mu_);
  if (--wanted_ == 0) Wake();
}

bool ChangeFeed::listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

void ChangeFeed::Wake() {
  const std::uint64_t one = 1;
  // Fails only when the counter is saturated, and then a wake is pending anyway.
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
}

void ChangeFeed::SetState(bool connected, bool listening) {
  {
    std::lock_guard lock(mu_);
    lost_ = !connected;
    listening_ = listening;
  }
  // Listening first: whoever sees the connection down also sees it not listening.
  listening_gauge_.Set(listening ? 1 : 0);
  up_.Set(connected ? 1 : 0);
  changed_.notify_all();
}

bool ChangeFeed::Pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !changed_.wait_for(lock, d, [this] { return stop_; });
}

bool ChangeFeed::Stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void ChangeFeed::Run() {
  while (!Stopping()) {
    try {
      ListenUntilStoppedOrLost();
    } catch (const std::exception& e) {
      SetState(/*connected=*/false, /*listening=*/false);
      if (!lost_logged_) {
        log::Warn("attendance change feed lost; watches here miss other replicas' changes until it is back",
                  {{"error", db::ErrorSummary(e)}, {"retry_after_ms", retry_after_.count()}});
        lost_logged_ = true;
      }
      Pause(retry_after_);
    }
  }
  SetState(/*connected=*/false, /*listening=*/false);
}

void ChangeFeed::ListenUntilStoppedOrLost() {
  pqxx::connection conn(conninfo_);
  // Declared after the connection, so it is gone (UNLISTEN) before it.
  std::optional<Receiver> receiver;
  SetState(/*connected=*/true, /*listening=*/false);
  log::Info("attendance change feed connected", {{"channel", kChannel}});
  lost_logged_ = false;
  while (true) {
    bool wanted;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      wanted = wanted_ > 0;
    }
    if (wanted != receiver.has_value()) {
      // Constructing the receiver runs LISTEN, destroying it UNLISTEN; both
      // take effect before they return.
      if (wanted) {
        receiver.emplace(conn, [this](const std::string& payload) { Deliver(payload); });
        ShowAsListening(conn, true);
        WaitOutEarlierWrites(conn);
      } else {
        ShowAsListening(conn, false);
        receiver.reset();
      }
      SetState(/*connected=*/true, wanted);
    }
    AwaitInputOrWake(conn.sock());
    conn.get_notifs();
    if (!conn.is_open()) throw pqxx::broken_connection("the listening connection closed");
  }
}

void ChangeFeed::ShowAsListening(pqxx::connection_base& conn, bool listening) {
  pqxx::nontransaction tx(conn);
  if (listening) {
    // The server cuts names at 63 bytes; the suffix must survive.
    tx.exec_params(
        "SELECT set_config('application_name', left(current_setting('application_name'), 40) || $1, false)",
        kListeningSuffix);
  } else {
    tx.exec("RESET application_name");
  }
}

// A write that checked for listeners just before this session showed as one
// has not announced and may still commit. It has a transaction ID by then
// (the check runs after its row is written), so once every transaction
// holding an ID older than the one taken here has ended, each later commit
// announces.
void ChangeFeed::WaitOutEarlierWrites(pqxx::connection_base& conn) {
  pqxx::nontransaction tx(conn);
  // Taking an ID here costs one, and marks where "before" ends: IDs are
  // handed out in order, so every write that looked earlier has a smaller one.
  const auto mark = tx.exec1("SELECT pg_current_xact_id()::text")[0].as<std::string>();
  const auto give_up = std::chrono::steady_clock::now() + kEarlierWritesWait;
  while (!tx.exec_params1("SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8", mark)[0].as<bool>()) {
    if (std::chrono::steady_clock::now() >= give_up) {
      // A transaction left open elsewhere (not a check-in's): listen anyway.
      log::Warn("attendance change feed listens before all earlier transactions ended",
                {{"waited_ms", std::chrono::duration_cast<std::chrono::milliseconds>(kEarlierWritesWait).count()}});
      return;
    }
    if (!Pause(kEarlierWritesPoll)) return;
  }
}

void ChangeFeed::AwaitInputOrWake(int socket) {
  pollfd fds[2] = {{socket, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  if (poll(fds, 2, kWaitMillis) < 0 && errno != EINTR) {
    throw std::system_error(errno, std::generic_category(), "poll on the listening connection");
  }
  if (fds[1].revents & POLLIN) {
    std::uint64_t count;
    [[maybe_unused]] auto n = read(wake_fd_, &count, sizeof count);
  }
}

void ChangeFeed::Deliver(const std::string& payload) {
  auto change = ParseRecordChange(payload);
  if (!change) {
    log::Warn("attendance change feed ignored a malformed announcement", {{"payload", payload.substr(0, 200)}});
    return;
  }
  try {
    handler_(*change);
  } catch (const std::exception& e) {
    // One change a watcher misses; the feed goes on.
    log::Warn("attendance change could not be relayed",
              {{"record", change->record_id}, {"version", change->version}, {"error", db::ErrorSummary(e)}});
  }
}

}  // namespace iop::attendance::store
