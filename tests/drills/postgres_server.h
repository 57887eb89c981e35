// A private PostgreSQL cluster for drills that stop and restart the database
// under a running service, which the shared test server must never suffer.
// initdb/pg_ctl refuse to run as root, so as root they run as `postgres` on a
// folder that user owns (as deploy/local/stack.sh does).
#pragma once

#include <string>

namespace iop::drills {

class PostgresServer {
 public:
  // initdb into a fresh temporary folder and start on a free loopback port.
  PostgresServer();
  // Stops the server (immediately) and removes the folder.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgresql:// URL of database `name` on this server.
  std::string Url(const std::string& name) const;
  void CreateDatabase(const std::string& name);
  int port() const { return port_; }

  // Each returns once pg_ctl reports the server (re)started or stopped, and
  // fails the test with the server log otherwise.
  void Restart();  // pg_ctl restart -m fast: sessions are terminated
  void Stop();     // pg_ctl stop -m fast
  void Start();

 private:
  // Runs a PostgreSQL program from the server binaries folder as the user
  // allowed to run it; returns its exit status.
  int RunPg(const std::string& program_and_args) const;
  std::string LogTail() const;

  std::string bin_;
  std::string dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace iop::drills
