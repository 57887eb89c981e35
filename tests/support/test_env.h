// Environment of the integration tests. tests/run_tests.sh starts a real
// PostgreSQL and Redis on free ports and exports their URLs; these helpers
// hand out isolated pieces of them so tests never see each other's rows.
#pragma once

#include <chrono>
#include <string>
#include <thread>

namespace iop::testing {

// Value of an environment variable the integration tests need; aborts the
// test binary with a message naming `make test` when it is missing, so a
// misconfigured run fails loudly instead of silently skipping.
std::string RequireEnv(const char* name);

// postgresql://... of a server where the test role may CREATE DATABASE.
std::string DatabaseServerUrl();
// redis://host:port of the shared test Redis.
std::string RedisUrl();

// A port nobody listens on right now (bound then released).
int FreePort();

// Polls `done` every 10 ms until it holds (true) or `limit` passes (false).
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A fresh, uniquely named database; dropped when the object goes away.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& prefix = "t");
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// A private redis-server child process on a free port, for drills that kill
// or freeze Redis without disturbing other tests.
class RedisProcess {
 public:
  RedisProcess();  // starts it and waits until it answers PING
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  std::string url() const;
  int port() const { return port_; }
  void Pause();    // SIGSTOP: the socket stays open but nothing answers
  void Resume();   // SIGCONT
  void Kill();     // SIGKILL and reap
  void Restart();  // start again on the same port

 private:
  void Start();
  int port_;
  int pid_ = -1;
};

}  // namespace iop::testing
