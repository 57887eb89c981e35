#include "support/test_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace iop::testing {
namespace {

// Replaces the database name (the path) of a postgresql:// URL.
std::string WithDatabase(const std::string& url, const std::string& db) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string query;
  auto q = url.find('?');
  if (q != std::string::npos) query = url.substr(q);
  std::string base = slash == std::string::npos ? url.substr(0, q) : url.substr(0, slash);
  return base + "/" + db + query;
}

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string RequireEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    std::fprintf(stderr,
                 "%s is not set: integration tests need the PostgreSQL and Redis "
                 "that `make test` (tests/run_tests.sh) starts\n",
                 name);
    std::abort();
  }
  return v;
}

std::string DatabaseServerUrl() { return RequireEnv("IOP_TEST_DATABASE_URL"); }
std::string RedisUrl() { return RequireEnv("IOP_TEST_REDIS_URL"); }

namespace {

// The first port of the kernel's ephemeral range.
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  if (!(in >> low) || low < 2048) low = 32768;
  return low;
}

bool CanBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

// Below the ephemeral range, so no outgoing connection can take the port
// between this check and the owner's bind (deploy/local/ports.sh says more).
int FreePort() {
  static std::mutex mu;
  static std::vector<int> handed_out;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  int top = EphemeralLow();
  int low = top > 12000 ? top - 12000 : 1024;
  std::uniform_int_distribution<int> pick(low, top - 1);
  for (int i = 0; i < 500; ++i) {
    int port = pick(rng);
    if (std::find(handed_out.begin(), handed_out.end(), port) != handed_out.end()) continue;
    if (!CanBind(port)) continue;
    handed_out.push_back(port);
    return port;
  }
  throw std::runtime_error("FreePort: no free port below " + std::to_string(top));
}

ScratchDatabase::ScratchDatabase(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(rd() % 100000);
  pqxx::connection admin(DatabaseServerUrl());
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  url_ = WithDatabase(DatabaseServerUrl(), name_);
}

ScratchDatabase::~ScratchDatabase() {
  try {
    pqxx::connection admin(DatabaseServerUrl());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropping %s: %s\n", name_.c_str(), e.what());
  }
}

RedisProcess::RedisProcess() : port_(FreePort()) { Start(); }

RedisProcess::~RedisProcess() {
  if (pid_ > 0) Kill();
}

std::string RedisProcess::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

void RedisProcess::Start() {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string port = std::to_string(port_);
    ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--loglevel", "warning", (char*)nullptr);
    std::_Exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  pid_ = pid;
  for (int i = 0; i < 200; ++i) {
    if (CanConnect(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisProcess::Pause() { ::kill(pid_, SIGSTOP); }
void RedisProcess::Resume() { ::kill(pid_, SIGCONT); }

void RedisProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisProcess::Restart() {
  Kill();
  Start();
}

}  // namespace iop::testing
