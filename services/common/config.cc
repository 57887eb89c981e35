#include "common/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace iop::config {
namespace {

// Local defaults match deploy/local: a project-local stack on its own ports.
constexpr char kDefaultRedis[] = "redis://127.0.0.1:56379";
constexpr int kMinSecretBytes = 32;

std::string Or(const EnvLookup& env, const std::string& name, const std::string& fallback) {
  auto v = env(name);
  return v && !v->empty() ? *v : fallback;
}

std::string Address(const EnvLookup& env, const std::string& name, const std::string& fallback) {
  std::string value = Or(env, name, fallback);
  if (!IsHostPort(value)) {
    throw ConfigError(name + "=\"" + value + "\" is not host:port (example: 0.0.0.0:50051)");
  }
  return value;
}

int Integer(const EnvLookup& env, const std::string& name, int fallback, int min, int max) {
  auto v = env(name);
  if (!v || v->empty()) return fallback;
  int out = 0;
  if (!absl::SimpleAtoi(*v, &out) || out < min || out > max) {
    throw ConfigError(name + "=\"" + *v + "\" must be an integer from " + std::to_string(min) +
                      " to " + std::to_string(max));
  }
  return out;
}

std::string ReadSecret(const EnvLookup& env) {
  auto inline_secret = env("IOP_JWT_SECRET");
  auto file = env("IOP_JWT_SECRET_FILE");
  if (inline_secret && !inline_secret->empty() && file && !file->empty()) {
    throw ConfigError("set only one of IOP_JWT_SECRET and IOP_JWT_SECRET_FILE");
  }
  std::string secret;
  if (file && !file->empty()) {
    std::ifstream in(*file);
    if (!in) throw ConfigError("IOP_JWT_SECRET_FILE=\"" + *file + "\" cannot be read");
    std::stringstream buf;
    buf << in.rdbuf();
    secret = std::string(absl::StripTrailingAsciiWhitespace(buf.str()));
  } else if (inline_secret) {
    secret = *inline_secret;
  }
  if (secret.empty()) {
    throw ConfigError("IOP_JWT_SECRET or IOP_JWT_SECRET_FILE must be set (the HS256 signing key)");
  }
  if (secret.size() < kMinSecretBytes) {
    throw ConfigError("the JWT secret must be at least " + std::to_string(kMinSecretBytes) +
                      " bytes (HS256 keys shorter than the hash are guessable)");
  }
  return secret;
}

void CheckReadable(const std::string& name, const std::string& path) {
  if (path.empty()) return;
  std::ifstream in(path);
  if (!in) throw ConfigError(name + "=\"" + path + "\" cannot be read");
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

bool IsHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port)) return false;
  return port >= 1 && port <= 65535;
}

Config Load(const ServiceDefaults& d, const EnvLookup& env) {
  Config c;
  c.service = d.service;
  c.grpc_addr = Address(env, "IOP_GRPC_ADDR", "0.0.0.0:" + std::to_string(d.grpc_port));
  c.metrics_addr = Address(env, "IOP_METRICS_ADDR", "0.0.0.0:" + std::to_string(d.metrics_port));
  if (auto h = env("IOP_HEALTH_ADDR"); h && !h->empty()) c.health_addr = Address(env, "IOP_HEALTH_ADDR", "");
  c.database_url = Or(env, "IOP_DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:55432/iop_" + d.service);
  if (!absl::StartsWith(c.database_url, "postgresql://") &&
      !absl::StartsWith(c.database_url, "postgres://")) {
    throw ConfigError("IOP_DATABASE_URL must start with postgresql:// (got \"" +
                      c.database_url.substr(0, 20) + "...\")");
  }
  c.redis_url = Or(env, "IOP_REDIS_URL", kDefaultRedis);
  if (!absl::StartsWith(c.redis_url, "redis://")) {
    throw ConfigError("IOP_REDIS_URL must start with redis:// (got \"" + c.redis_url + "\")");
  }
  c.jwt_secret = ReadSecret(env);
  c.scheduling_addr = Address(env, "IOP_SCHEDULING_ADDR", "127.0.0.1:50051");
  c.attendance_addr = Address(env, "IOP_ATTENDANCE_ADDR", "127.0.0.1:50052");
  c.curriculum_addr = Address(env, "IOP_CURRICULUM_ADDR", "127.0.0.1:50053");
  c.outcomes_addr = Address(env, "IOP_OUTCOMES_ADDR", "127.0.0.1:50054");
  std::string level = Or(env, "IOP_LOG_LEVEL", "info");
  if (!log::ParseLevel(level, &c.log_level)) {
    throw ConfigError("IOP_LOG_LEVEL=\"" + level + "\" must be debug, info, warn or error");
  }
  c.tls.cert_file = Or(env, "IOP_TLS_CERT_FILE", "");
  c.tls.key_file = Or(env, "IOP_TLS_KEY_FILE", "");
  c.tls.client_ca_file = Or(env, "IOP_TLS_CLIENT_CA_FILE", "");
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
    throw ConfigError("IOP_TLS_CERT_FILE and IOP_TLS_KEY_FILE must be set together");
  }
  if (!c.tls.client_ca_file.empty() && c.tls.cert_file.empty()) {
    throw ConfigError("IOP_TLS_CLIENT_CA_FILE needs IOP_TLS_CERT_FILE and IOP_TLS_KEY_FILE");
  }
  CheckReadable("IOP_TLS_CERT_FILE", c.tls.cert_file);
  CheckReadable("IOP_TLS_KEY_FILE", c.tls.key_file);
  CheckReadable("IOP_TLS_CLIENT_CA_FILE", c.tls.client_ca_file);
  c.max_message_bytes = Integer(env, "IOP_MAX_MESSAGE_BYTES", c.max_message_bytes, 1024, 64 << 20);
  c.db_pool_size = Integer(env, "IOP_DB_POOL_SIZE", c.db_pool_size, 1, 256);
  c.drain_seconds = Integer(env, "IOP_DRAIN_SECONDS", c.drain_seconds, 0, 600);
  c.request_id_retention_hours =
      Integer(env, "IOP_REQUEST_ID_RETENTION_HOURS", c.request_id_retention_hours, 1, 24 * 366);
  return c;
}

}  // namespace iop::config
