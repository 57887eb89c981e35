#include "attendance/store/change_feed.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/log.h"

namespace iop::attendance::store {
namespace {

constexpr const char* kChannel = "iop_attendance_events";
// How long one wait for notifications lasts: the longest Stop waits.
constexpr long kWaitMicros = 200000;

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
              .Help("1 while this replica hears the attendance changes other replicas commit")
              .Register(registry)
              .Add({})) {}

ChangeFeed::~ChangeFeed() { Stop(); }

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
  stopping_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ChangeFeed::Pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !stopping_.wait_for(lock, d, [this] { return stop_; });
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
      listening_ = false;
      up_.Set(0);
      if (!lost_logged_) {
        log::Warn("attendance change feed lost; watches here miss other replicas' changes until it is back",
                  {{"error", e.what()}, {"retry_after_ms", retry_after_.count()}});
        lost_logged_ = true;
      }
      Pause(retry_after_);
    }
  }
  listening_ = false;
  up_.Set(0);
}

void ChangeFeed::ListenUntilStoppedOrLost() {
  pqxx::connection conn(conninfo_);
  Receiver receiver(conn, [this](const std::string& payload) { Deliver(payload); });
  // LISTEN is in effect once the receiver exists on an open connection.
  listening_ = true;
  up_.Set(1);
  log::Info("attendance change feed listening", {{"channel", kChannel}});
  lost_logged_ = false;
  while (!Stopping()) {
    conn.await_notification(0, kWaitMicros);
    if (!conn.is_open()) throw pqxx::broken_connection("the listening connection closed");
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
              {{"record", change->record_id}, {"version", change->version}, {"error", e.what()}});
  }
}

}  // namespace iop::attendance::store
