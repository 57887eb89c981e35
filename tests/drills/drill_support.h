// Helpers shared by the reliability drills: outcome and latency tallies that
// many load threads write to, bounded retries of idempotent writes, health
// polling and metric sums.
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/raw_call.h"

namespace iop::drills {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

inline double ToMillis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Latency samples from many threads.
class Latencies {
 public:
  void Add(Clock::duration d) {
    std::lock_guard lock(mu_);
    samples_.push_back(ToMillis(d));
  }
  // The p-th percentile (0 < p <= 1) in milliseconds; 0 without samples.
  double Percentile(double p) const {
    std::lock_guard lock(mu_);
    if (samples_.empty()) return 0;
    std::vector<double> sorted = samples_;
    std::sort(sorted.begin(), sorted.end());
    size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size()));
    return sorted[std::min(index, sorted.size() - 1)];
  }
  double Max() const { return Percentile(1.0); }
  size_t Count() const {
    std::lock_guard lock(mu_);
    return samples_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> samples_;
};

inline const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    default: return "OTHER";
  }
}

// Status codes seen by many threads, with the first message of each code so a
// failing drill says what went wrong.
class Outcomes {
 public:
  void Add(const std::string& method, const grpc::Status& s) {
    std::lock_guard lock(mu_);
    std::string key = method + ":" + CodeName(s.error_code());
    if (counts_[key]++ == 0 && !s.ok()) first_message_[key] = s.error_message();
  }
  int Count(const std::string& method, grpc::StatusCode code) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(method + ":" + CodeName(code));
    return it == counts_.end() ? 0 : it->second;
  }
  // Calls whose code is not in `allowed`.
  int CountOutside(const std::vector<grpc::StatusCode>& allowed) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [key, count] : counts_) {
      bool ok = false;
      for (auto code : allowed) ok = ok || key.ends_with(std::string(":") + CodeName(code));
      if (!ok) n += count;
    }
    return n;
  }
  int Total() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [key, count] : counts_) n += count;
    return n;
  }
  std::string Summary() const {
    std::lock_guard lock(mu_);
    std::ostringstream out;
    for (const auto& [key, count] : counts_) {
      out << key << "=" << count;
      auto m = first_message_.find(key);
      if (m != first_message_.end()) out << " (" << m->second << ")";
      out << "; ";
    }
    return out.str();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> counts_;
  std::map<std::string, std::string> first_message_;
};

// Answers a client should retry with the same request_id.
inline bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Calls `attempt` (which must resend the very same request) until it answers
// with something other than a retryable code, at most `max_attempts` times
// and for at most `budget`. Every answer goes to `seen` under `method`.
template <class Attempt>
grpc::Status RetryUntilAnswered(const std::string& method, Attempt attempt, Outcomes& seen,
                                int* retries, int max_attempts = 100, Millis budget = Millis(30000)) {
  const auto give_up = Clock::now() + budget;
  grpc::Status s;
  for (int i = 0; i < max_attempts; ++i) {
    s = attempt();
    seen.Add(method, s);
    if (!Retryable(s.error_code()) || Clock::now() >= give_up) return s;
    ++*retries;
    std::this_thread::sleep_for(Millis(std::min(50 * (i + 1), 250)));
  }
  return s;
}

// Polls grpc.health.v1 until the whole server reports `want`.
inline bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel, client::Health want, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    client::Health h = client::Health::kUnknown;
    if (client::CheckHealth(channel, "", &h, 1000).ok() && h == want) return true;
    std::this_thread::sleep_for(Millis(100));
  }
  return false;
}

// Sum of every sample of a metric family on a /metrics page (all label sets).
inline double SumMetric(const std::string& page, const std::string& name) {
  double sum = 0;
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    auto space = line.rfind(' ');
    if (space != std::string::npos) sum += std::stod(line.substr(space + 1));
  }
  return sum;
}

}  // namespace iop::drills
