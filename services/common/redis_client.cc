#include "common/redis_client.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <charconv>
#include <stdexcept>
#include <utility>

#include "common/redis_wire.h"

namespace iop::cache {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void BadUrl(const std::string& why) {
  // The URL itself is not echoed: it may carry a password.
  throw std::invalid_argument("invalid Redis URL (expected redis://[:password@]host:port[/db]): " +
                              why);
}

int ParseNumber(std::string_view text, int min, int max, const char* what) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    BadUrl(std::string(what) + " must be a number from " + std::to_string(min) + " to " +
           std::to_string(max));
  }
  return value;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int byte = 0;
    if (i + 2 >= text.size()) BadUrl("bad %-escape");
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16);
    if (ec != std::errc() || end != text.data() + i + 3) BadUrl("bad %-escape");
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

RedisEndpoint ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) BadUrl("TLS (rediss://) is not supported");
  if (!url.starts_with(kScheme)) BadUrl("scheme must be redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos)
    BadUrl("query parameters are not supported");

  RedisEndpoint ep;
  // The last '@' ends the credentials, so a password may contain '@' or '/'.
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos)
      BadUrl("credentials must be ':password@' or 'user:password@'");
    ep.user = PercentDecode(userinfo.substr(0, colon));
    ep.password = PercentDecode(userinfo.substr(colon + 1));
    if (ep.password.empty()) BadUrl("empty password");
    rest = rest.substr(at + 1);
  }

  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) ep.db = ParseNumber(db, 0, 1 << 20, "database");
  }

  std::string_view port;
  if (hostport.starts_with('[')) {  // [IPv6]:port
    auto close = hostport.find(']');
    if (close == std::string_view::npos) BadUrl("unterminated '[' in host");
    ep.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') BadUrl("unexpected text after ']'");
      port = after.substr(1);
      if (port.empty()) BadUrl("empty port");
    }
  } else {
    auto colon = hostport.find(':');
    ep.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      if (port.empty()) BadUrl("empty port");
    }
  }
  if (ep.host.empty()) BadUrl("missing host");
  if (!port.empty()) ep.port = ParseNumber(port, 1, 65535, "port");
  return ep;
}

CircuitBreaker::CircuitBreaker(std::chrono::milliseconds retry_after, SteadyClock clock)
    : retry_after_(retry_after), clock_(std::move(clock)) {}

CircuitBreaker::Permit CircuitBreaker::Acquire() {
  std::lock_guard lock(mu_);
  if (!open_) return Permit::kNormal;
  auto now = clock_();
  if (now < next_probe_) return Permit::kDenied;
  // Whoever gets the probe holds it for a whole period, so a probe that
  // never reports back cannot wedge the circuit.
  next_probe_ = now + retry_after_;
  return Permit::kProbe;
}

bool CircuitBreaker::OnSuccess(Permit permit) {
  std::lock_guard lock(mu_);
  // A call admitted before the outage proves nothing about now; only the
  // probe may close the circuit.
  if (!open_ || permit != Permit::kProbe) return false;
  open_ = false;
  return true;
}

bool CircuitBreaker::OnFailure(Permit permit) {
  std::lock_guard lock(mu_);
  if (permit == Permit::kDenied) return false;
  if (open_) {
    if (permit == Permit::kProbe) next_probe_ = clock_() + retry_after_;
    return false;
  }
  open_ = true;
  next_probe_ = clock_() + retry_after_;
  return true;
}

bool CircuitBreaker::closed() const { return !open_.load(); }

struct RedisClient::Connection {
  redisContext* ctx = nullptr;
  std::uint64_t generation = 0;
};

RedisClient::RedisClient(RedisClientOptions options, StateListener listener)
    : options_(std::move(options)), listener_(std::move(listener)), breaker_(options_.retry_after) {
  if (options_.op_timeout.count() <= 0 || options_.connect_timeout.count() <= 0) {
    throw std::invalid_argument("Redis timeouts must be positive");
  }
  if (options_.connections < 1)
    throw std::invalid_argument("Redis pool needs at least one connection");
  // hiredis writes with write(2): a server that died between two calls would
  // otherwise kill the whole process with SIGPIPE. Only the default action is
  // replaced, never a handler the program installed.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

RedisClient::~RedisClient() {
  for (Connection* c : idle_) {
    redisFree(c->ctx);
    delete c;
  }
}

RedisResult RedisClient::Run(const std::vector<std::string>& argv) {
  RedisResult result;
  const auto permit = breaker_.Acquire();
  if (permit == CircuitBreaker::Permit::kDenied) return result;

  Connection* conn = Acquire(permit, &result);
  if (conn == nullptr) {
    if (result.outcome == RedisResult::Outcome::kFailed) ReportFailure(permit, result.error);
    return result;
  }
  // Waiting for a connection may have outlasted the outage's first failure.
  if (permit == CircuitBreaker::Permit::kNormal && !breaker_.closed()) {
    Release(conn, true);
    return result;
  }

  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  const auto start = Clock::now();
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(conn->ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  result.command_seconds = SecondsSince(start);
  if (raw == nullptr) {
    // After an I/O error or timeout a hiredis context is unusable: drop it.
    result.outcome = RedisResult::Outcome::kFailed;
    result.error = DescribeIoError(conn->ctx, options_.op_timeout);
    Release(conn, false);
    ReportFailure(permit, result.error);
    return result;
  }
  result.reply = ConvertReply(raw);
  freeReplyObject(raw);
  Release(conn, true);
  if (result.reply.type == RedisReply::Type::kError) {
    // The server answered, so the connection and the circuit are fine.
    result.outcome = RedisResult::Outcome::kFailed;
    result.error = result.reply.str;
  } else {
    result.outcome = RedisResult::Outcome::kOk;
  }
  if (breaker_.OnSuccess(permit)) Notify("");
  return result;
}

RedisClient::Connection* RedisClient::Acquire(CircuitBreaker::Permit permit, RedisResult* result) {
  const auto deadline = Clock::now() + options_.op_timeout;
  std::unique_lock lock(pool_mu_);
  while (true) {
    if (!idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    if (open_connections_ < options_.connections) {
      // Do not dial a server that failed while this caller waited.
      if (permit == CircuitBreaker::Permit::kNormal && !breaker_.closed()) return nullptr;
      ++open_connections_;
      const auto generation = generation_;
      lock.unlock();
      Connection* c = Connect(result);
      if (c == nullptr) {
        lock.lock();
        --open_connections_;
        pool_cv_.notify_one();
        return nullptr;
      }
      c->generation = generation;
      return c;
    }
    if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_connections_ >= options_.connections) {
      return nullptr;  // every connection busy: skip rather than queue
    }
  }
}

void RedisClient::Release(Connection* conn, bool reusable) {
  {
    std::lock_guard lock(pool_mu_);
    if (reusable && conn->generation == generation_) {
      idle_.push_back(conn);
      pool_cv_.notify_one();
      return;
    }
    --open_connections_;
    pool_cv_.notify_one();
  }
  redisFree(conn->ctx);
  delete conn;
}

RedisClient::Connection* RedisClient::Connect(RedisResult* result) {
  const auto start = Clock::now();
  std::string error;
  redisContext* ctx =
      OpenRedis(options_.endpoint, options_.connect_timeout, options_.op_timeout, &error);
  result->connect_seconds = SecondsSince(start);
  if (ctx == nullptr) {
    result->outcome = RedisResult::Outcome::kFailed;
    result->connect_failed = true;
    result->error = error;
    return nullptr;
  }
  return new Connection{ctx, 0};
}

void RedisClient::DropIdle() {
  std::vector<Connection*> dropped;
  {
    std::lock_guard lock(pool_mu_);
    dropped.swap(idle_);
    open_connections_ -= static_cast<int>(dropped.size());
    ++generation_;
    pool_cv_.notify_all();
  }
  for (Connection* c : dropped) {
    redisFree(c->ctx);
    delete c;
  }
}

void RedisClient::ReportFailure(CircuitBreaker::Permit permit, const std::string& error) {
  if (!breaker_.OnFailure(permit)) return;
  DropIdle();
  Notify(error);
}

void RedisClient::Notify(const std::string& error) {
  std::lock_guard lock(notify_mu_);
  const bool up = breaker_.closed();
  if (up == notified_up_) return;
  notified_up_ = up;
  if (listener_) listener_(up, error);
}

}  // namespace iop::cache
