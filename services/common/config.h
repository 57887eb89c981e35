// Service configuration, read once at start from the environment variables
// of DESIGN.md §2. A bad or missing value is a ConfigError whose message is
// the one line the operator sees before the process exits.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/log.h"

namespace iop::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsConfig {
  std::string cert_file;       // IOP_TLS_CERT_FILE
  std::string key_file;        // IOP_TLS_KEY_FILE
  std::string client_ca_file;  // IOP_TLS_CLIENT_CA_FILE: set → clients must present a cert
  bool enabled() const { return !cert_file.empty(); }
};

struct Config {
  std::string service;        // "scheduling", ...
  std::string grpc_addr;      // IOP_GRPC_ADDR, host:port
  std::string metrics_addr;   // IOP_METRICS_ADDR, host:port
  // IOP_HEALTH_ADDR (optional): a plaintext listener serving only the health
  // service, for probes that cannot speak TLS (Kubernetes' gRPC probes).
  std::string health_addr;
  std::string database_url;   // IOP_DATABASE_URL
  std::string redis_url;      // IOP_REDIS_URL
  std::string jwt_secret;     // IOP_JWT_SECRET or the contents of IOP_JWT_SECRET_FILE
  std::string scheduling_addr;  // IOP_SCHEDULING_ADDR
  std::string attendance_addr;  // IOP_ATTENDANCE_ADDR
  std::string curriculum_addr;  // IOP_CURRICULUM_ADDR
  std::string outcomes_addr;    // IOP_OUTCOMES_ADDR
  log::Level log_level = log::Level::kInfo;  // IOP_LOG_LEVEL
  TlsConfig tls;
  int max_message_bytes = 4 * 1024 * 1024;  // IOP_MAX_MESSAGE_BYTES
  int db_pool_size = 8;                     // IOP_DB_POOL_SIZE
  int drain_seconds = 20;                   // IOP_DRAIN_SECONDS
  // IOP_REQUEST_ID_RETENTION_HOURS: how long a write's request_id and its
  // stored answer are kept for retries; older ones are deleted.
  int request_id_retention_hours = 7 * 24;
  // How often they are looked for (tests shorten it; not from the environment).
  std::chrono::milliseconds request_id_purge_period = std::chrono::hours(1);
};

// Defaults that differ per service: its local gRPC and metrics ports.
struct ServiceDefaults {
  std::string service;
  int grpc_port;
  int metrics_port;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the process environment.
EnvLookup ProcessEnv();

// Throws ConfigError naming the variable and what is wrong with it.
Config Load(const ServiceDefaults& defaults, const EnvLookup& env = ProcessEnv());

// "host:port" with a port in 1..65535; false otherwise.
bool IsHostPort(const std::string& text);

}  // namespace iop::config
