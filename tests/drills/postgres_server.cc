#include "drills/postgres_server.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

#include "support/test_env.h"

namespace iop::drills {
namespace {

namespace fs = std::filesystem;

bool IsRoot() { return ::geteuid() == 0; }

// IOP_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin.
std::string FindServerBinaries() {
  if (const char* env = std::getenv("IOP_PG_BIN"); env != nullptr && *env != '\0') return env;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!fs::exists(entry.path() / "bin" / "pg_ctl")) continue;
    if (std::stoi(version) > best_version) {
      best_version = std::stoi(version);
      best = (entry.path() / "bin").string();
    }
  }
  if (best.empty()) throw std::runtime_error("no PostgreSQL server binaries under /usr/lib/postgresql");
  return best;
}

}  // namespace

PostgresServer::PostgresServer() : bin_(FindServerBinaries()), port_(testing::FreePort()) {
  char tmpl[] = "/tmp/iop-drill-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (IsRoot()) {
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr) throw std::runtime_error("user 'postgres' does not exist");
    if (::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown " + dir_ + " failed");
  }
  ::chmod(dir_.c_str(), 0700);
  if (RunPg("initdb -D " + dir_ + "/data -U postgres -E UTF8 --no-locale --auth=trust --no-sync") != 0) {
    throw std::runtime_error("initdb failed: " + LogTail());
  }
  // Appending as root keeps the file's owner; the server reads it at start.
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "\nport = " << port_ << "\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = ''\n"
       << "max_connections = 60\n"
       << "fsync = off\n"
       << "full_page_writes = off\n";
  conf.close();
  Start();
  if (!running_) throw std::runtime_error("PostgreSQL did not start: " + LogTail());
}

PostgresServer::~PostgresServer() {
  if (running_) RunPg("pg_ctl -D " + dir_ + "/data -m immediate -w -t 30 stop");
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::Url(const std::string& name) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void PostgresServer::CreateDatabase(const std::string& name) {
  pqxx::connection admin(Url("postgres"));
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
}

void PostgresServer::Start() {
  running_ = RunPg("pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 30 start") == 0;
  if (!running_) ADD_FAILURE() << "pg_ctl start failed\n" << LogTail();
}

void PostgresServer::Stop() {
  if (RunPg("pg_ctl -D " + dir_ + "/data -m fast -w -t 30 stop") == 0) {
    running_ = false;
  } else {
    ADD_FAILURE() << "pg_ctl stop failed\n" << LogTail();
  }
}

void PostgresServer::Restart() {
  running_ = RunPg("pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -m fast -w -t 30 restart") == 0;
  if (!running_) ADD_FAILURE() << "pg_ctl restart failed\n" << LogTail();
}

int PostgresServer::RunPg(const std::string& program_and_args) const {
  // Only paths this class made and port numbers reach the shell.
  std::string command = "cd / && " + std::string(IsRoot() ? "runuser -u postgres -- " : "") + bin_ + "/" +
                        program_and_args + " >>" + dir_ + "/pg_ctl.out 2>&1";
  return std::system(command.c_str());
}

std::string PostgresServer::LogTail() const {
  std::string text;
  for (const char* file : {"/pg_ctl.out", "/server.log"}) {
    std::ifstream in(dir_ + file);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string all = buf.str();
    text += "---- " + dir_ + file + "\n" + (all.size() > 3000 ? all.substr(all.size() - 3000) : all);
  }
  return text;
}

}  // namespace iop::drills
