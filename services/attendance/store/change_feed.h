// The committed changes of attendance records, as PostgreSQL announces them
// (migration 0002: a trigger NOTIFYs iop_attendance_events at commit). Every
// replica listens on its own connection, so a watch on one replica sees the
// writes another handled. While the connection is down nothing is heard
// (iop_attendance_change_feed_up is 0); the feed reconnects by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace iop::attendance::store {

struct RecordChange {
  enum class Kind { kCheckedIn, kCheckedOut, kRecorded };
  std::string org, session_id, record_id;
  std::int64_t version = 0;
  Kind kind = Kind::kRecorded;
};

// nullopt for a payload that is not a well-formed change.
std::optional<RecordChange> ParseRecordChange(std::string_view payload);

class ChangeFeed {
 public:
  using Handler = std::function<void(const RecordChange&)>;

  // `conninfo` as for libpq. The handler runs on the feed's thread, one
  // change at a time; it may block (it reads the database).
  ChangeFeed(std::string conninfo, Handler handler, prometheus::Registry& registry,
             std::chrono::milliseconds retry_after = std::chrono::seconds(1));
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  void Start();
  // Returns once the thread is gone; the handler is not called after that.
  void Stop();
  bool listening() const { return listening_.load(); }

 private:
  void Run();
  void ListenUntilStoppedOrLost();
  void Deliver(const std::string& payload);
  bool Stopping();
  // Waits `d` unless Stop comes first; false when stopping.
  bool Pause(std::chrono::milliseconds d);

  const std::string conninfo_;
  const Handler handler_;
  const std::chrono::milliseconds retry_after_;
  prometheus::Gauge& up_;
  std::atomic<bool> listening_{false};
  bool lost_logged_ = false;  // feed thread only: one warning per outage
  std::mutex mu_;
  std::condition_variable stopping_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace iop::attendance::store
