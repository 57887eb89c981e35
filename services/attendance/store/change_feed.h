// The committed changes of attendance records, as PostgreSQL announces them
// (migration 0002: a trigger NOTIFYs iop_attendance_events at commit). Every
// replica keeps its own connection for them, so a watch on one replica sees
// the writes another handled. It LISTENs only while someone here holds an
// Interest (an open watch): every announcement a listener hears costs its
// backend and this process work on each committed change, about an eighth
// of a check-in's cost, wasted when nobody here watches. While no replica
// listens, nothing is announced at all (migration 0003). While the
// connection is down nothing is heard (iop_attendance_change_feed_up is 0);
// the feed reconnects by itself and listens again if still wanted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace pqxx {
class connection_base;
}  // namespace pqxx

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

  // Keeps the feed listening while held; move-only, an empty one holds nothing.
  class Interest {
   public:
    Interest() = default;
    Interest(Interest&& other) noexcept : feed_(std::exchange(other.feed_, nullptr)) {}
    Interest& operator=(Interest&& other) noexcept;
    ~Interest() { Release(); }

   private:
    friend class ChangeFeed;
    explicit Interest(ChangeFeed* feed) : feed_(feed) {}
    void Release();
    ChangeFeed* feed_ = nullptr;
  };

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

  // Asks the feed to listen for as long as the Interest is held. Returns
  // once LISTEN is in effect and the writes that might not have announced
  // (they began before this replica showed as listening) have ended, so
  // every change committed from then on is heard; or after `max_wait`, or
  // at once while the connection is lost (then changes are heard from when
  // it is back).
  [[nodiscard]] Interest Want(std::chrono::milliseconds max_wait);
  bool listening() const;

 private:
  void Run();
  void ListenUntilStoppedOrLost();
  // Marks this session as listening in pg_stat_activity, or unmarks it.
  static void ShowAsListening(pqxx::connection_base& conn, bool listening);
  void WaitOutEarlierWrites(pqxx::connection_base& conn);
  // Blocks until the connection has input, Wake() is called or a while passes.
  void AwaitInputOrWake(int socket);
  void Wake();
  void Release();
  void SetState(bool connected, bool listening);
  void Deliver(const std::string& payload);
  bool Stopping();
  // Waits `d` unless Stop comes first; false when stopping.
  bool Pause(std::chrono::milliseconds d);

  const std::string conninfo_;
  const Handler handler_;
  const std::chrono::milliseconds retry_after_;
  prometheus::Gauge& up_;
  prometheus::Gauge& listening_gauge_;
  const int wake_fd_;  // an eventfd: Want, Release and Stop interrupt the wait
  bool lost_logged_ = false;  // feed thread only: one warning per outage
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int wanted_ = 0;         // Interests held
  bool listening_ = false;  // LISTEN in effect
  bool lost_ = false;       // the last connection attempt failed or the connection broke
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace iop::attendance::store
