#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace iop::config {
namespace {

const std::string kSecret(40, 'k');
const ServiceDefaults kDefaults{"scheduling", 50051, 9101};

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::string LoadError(std::map<std::string, std::string> values) {
  try {
    Load(kDefaults, Env(std::move(values)));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, DefaultsAreTheLocalStack) {
  Config c = Load(kDefaults, Env({{"IOP_JWT_SECRET", kSecret}}));
  EXPECT_EQ(c.grpc_addr, "0.0.0.0:50051");
  EXPECT_EQ(c.metrics_addr, "0.0.0.0:9101");
  EXPECT_EQ(c.database_url, "postgresql://postgres@127.0.0.1:55432/iop_scheduling");
  EXPECT_EQ(c.redis_url, "redis://127.0.0.1:56379");
  EXPECT_EQ(c.attendance_addr, "127.0.0.1:50052");
  EXPECT_EQ(c.log_level, log::Level::kInfo);
  EXPECT_FALSE(c.tls.enabled());
}

TEST(ConfigTest, ReadsEveryVariable) {
  Config c = Load(kDefaults, Env({{"IOP_JWT_SECRET", kSecret},
                                  {"IOP_GRPC_ADDR", "127.0.0.1:6000"},
                                  {"IOP_METRICS_ADDR", "127.0.0.1:6001"},
                                  {"IOP_DATABASE_URL", "postgresql://u@db:5432/x"},
                                  {"IOP_REDIS_URL", "redis://cache:6379"},
                                  {"IOP_OUTCOMES_ADDR", "outcomes:50054"},
                                  {"IOP_LOG_LEVEL", "debug"}}));
  EXPECT_EQ(c.grpc_addr, "127.0.0.1:6000");
  EXPECT_EQ(c.metrics_addr, "127.0.0.1:6001");
  EXPECT_EQ(c.database_url, "postgresql://u@db:5432/x");
  EXPECT_EQ(c.redis_url, "redis://cache:6379");
  EXPECT_EQ(c.outcomes_addr, "outcomes:50054");
  EXPECT_EQ(c.log_level, log::Level::kDebug);
}

TEST(ConfigTest, MissingSecretIsOneClearLine) {
  std::string err = LoadError({});
  EXPECT_NE(err.find("IOP_JWT_SECRET"), std::string::npos);
  EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST(ConfigTest, ShortSecretRefused) {
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", "short"}}).find("at least 32 bytes"), std::string::npos);
}

TEST(ConfigTest, SecretFromFileIsTrimmed) {
  std::string path = ::testing::TempDir() + "/jwt-secret";
  std::ofstream(path) << kSecret << "\n";
  Config c = Load(kDefaults, Env({{"IOP_JWT_SECRET_FILE", path}}));
  EXPECT_EQ(c.jwt_secret, kSecret);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET_FILE", "/nonexistent/secret"}}).find("cannot be read"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET_FILE", path}, {"IOP_JWT_SECRET", kSecret}})
                .find("only one of"),
            std::string::npos);
}

TEST(ConfigTest, BadValuesNameTheVariable) {
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_GRPC_ADDR", "localhost"}})
                .find("IOP_GRPC_ADDR"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_METRICS_ADDR", "h:99999"}})
                .find("IOP_METRICS_ADDR"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_DATABASE_URL", "mysql://x"}})
                .find("IOP_DATABASE_URL"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_REDIS_URL", "http://x"}})
                .find("IOP_REDIS_URL"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_LOG_LEVEL", "loud"}})
                .find("IOP_LOG_LEVEL"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_DB_POOL_SIZE", "0"}})
                .find("IOP_DB_POOL_SIZE"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_REQUEST_ID_RETENTION_HOURS", "0"}})
                .find("IOP_REQUEST_ID_RETENTION_HOURS"),
            std::string::npos);
}

TEST(ConfigTest, RequestIdsAreKeptAWeekUnlessTold) {
  EXPECT_EQ(Load(kDefaults, Env({{"IOP_JWT_SECRET", kSecret}})).request_id_retention_hours, 168);
  EXPECT_EQ(Load(kDefaults, Env({{"IOP_JWT_SECRET", kSecret}, {"IOP_REQUEST_ID_RETENTION_HOURS", "48"}}))
                .request_id_retention_hours,
            48);
}

TEST(ConfigTest, TlsNeedsCertAndKeyTogether) {
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_TLS_CERT_FILE", "/etc/hostname"}})
                .find("together"),
            std::string::npos);
  EXPECT_NE(LoadError({{"IOP_JWT_SECRET", kSecret}, {"IOP_TLS_CLIENT_CA_FILE", "/etc/hostname"}})
                .find("IOP_TLS_CLIENT_CA_FILE"),
            std::string::npos);
}

TEST(ConfigTest, HostPort) {
  EXPECT_TRUE(IsHostPort("0.0.0.0:1"));
  EXPECT_TRUE(IsHostPort("[::]:50051"));
  EXPECT_FALSE(IsHostPort(":50051"));
  EXPECT_FALSE(IsHostPort("host:0"));
  EXPECT_FALSE(IsHostPort("host:abc"));
}

}  // namespace
}  // namespace iop::config
