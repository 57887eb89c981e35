// Low-level Redis access for the cache: URL parsing, a circuit breaker and a
// small pool of blocking hiredis connections with short timeouts. Nothing
// here throws because Redis is unreachable; callers get an outcome instead.
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
#include <vector>

namespace iop::cache {

// Parsed form of redis://[[user]:password@]host[:port][/db].
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Throws std::invalid_argument with a message naming the problem.
RedisEndpoint ParseRedisUrl(std::string_view url);

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// Closed: calls go through. One failure opens it: for `retry_after` every
// call is refused without touching the network, so a hung server costs each
// caller nothing. Then a single caller at a time gets a probe permit; its
// success closes the circuit, its failure keeps it open for another period.
class CircuitBreaker {
 public:
  enum class Permit { kDenied, kNormal, kProbe };

  explicit CircuitBreaker(std::chrono::milliseconds retry_after,
                          SteadyClock clock = std::chrono::steady_clock::now);

  Permit Acquire();
  // Both return true when the call changed the state (closed <-> open).
  bool OnSuccess(Permit permit);
  bool OnFailure(Permit permit);
  bool closed() const;

 private:
  const std::chrono::milliseconds retry_after_;
  const SteadyClock clock_;
  mutable std::mutex mu_;
  // Changed under mu_; read without it by closed(), which every cached read
  // asks.
  std::atomic<bool> open_{false};
  std::chrono::steady_clock::time_point next_probe_{};
};

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kStatus, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // string, status or error text
  long long integer = 0;
  std::vector<RedisReply> elements;
};

struct RedisResult {
  enum class Outcome {
    kOk,       // the server answered (reply.type is never kError)
    kSkipped,  // circuit open or no connection free in time: nothing sent
    kFailed,   // connect, I/O, timeout or an error reply
  };
  Outcome outcome = Outcome::kSkipped;
  RedisReply reply;
  std::string error;
  bool connect_failed = false;
  std::optional<double> connect_seconds;  // set when a connection was opened
  std::optional<double> command_seconds;  // set when a command was sent
  bool ok() const { return outcome == Outcome::kOk; }
};

struct RedisClientOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds op_timeout{50};
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds retry_after{1000};
  int connections = 4;
};

class RedisClient {
 public:
  // Called with the new state each time the circuit opens (up=false, with
  // the error that opened it) or closes (up=true).
  using StateListener = std::function<void(bool up, const std::string& error)>;

  RedisClient(RedisClientOptions options, StateListener listener);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command on a pooled connection. Bounded by op_timeout for the
  // wait for a free connection plus connect_timeout and op_timeout per round
  // trip.
  RedisResult Run(const std::vector<std::string>& argv);
  bool Healthy() const { return breaker_.closed(); }

 private:
  struct Connection;
  Connection* Acquire(CircuitBreaker::Permit permit, RedisResult* result);
  void Release(Connection* conn, bool reusable);
  Connection* Connect(RedisResult* result);
  void DropIdle();
  void ReportFailure(CircuitBreaker::Permit permit, const std::string& error);
  void Notify(const std::string& error);

  const RedisClientOptions options_;
  const StateListener listener_;
  CircuitBreaker breaker_;

  // Serialises listener calls so they report each change once and in order.
  std::mutex notify_mu_;
  bool notified_up_ = true;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Connection*> idle_;
  int open_connections_ = 0;
  // Bumped when the circuit opens so connections made before the outage are
  // closed instead of reused (a restarted server has dropped them).
  std::uint64_t generation_ = 0;
};

}  // namespace iop::cache
