// TLS and mutual TLS with certificates made by openssl at test time: a
// service configured with IOP_TLS_* accepts only TLS, and with a client CA
// only clients presenting a certificate that CA signed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/downstream.h"
#include "common/raw_call.h"
#include "common/server.h"
#include "support/service_harness.h"

namespace iop {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

// A CA, a server certificate for localhost/127.0.0.1, a client certificate
// signed by the CA, and one signed by nobody we trust.
class Certificates {
 public:
  Certificates() : dir_(::testing::TempDir() + "/tls_" + std::to_string(::getpid())) {
    std::string d = dir_;
    std::string script =
        "set -e; mkdir -p " + d + "; cd " + d + ";"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null;"
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext;"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out server.pem 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=partner -keyout client.key -out client.csr 2>/dev/null;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -out client.pem 2>/dev/null;"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=stranger -keyout stranger.key -out stranger.pem 2>/dev/null";
    ok_ = std::system(("bash -c \"" + script + "\"").c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  bool ok_;
};

std::shared_ptr<grpc::Channel> TlsChannel(const Certificates& c, int port, const std::string& cert,
                                          const std::string& key) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = Read(c.path("ca.pem"));
  if (!cert.empty()) {
    o.pem_cert_chain = Read(c.path(cert));
    o.pem_private_key = Read(c.path(key));
  }
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(o), args);
}

bool Serving(const std::shared_ptr<grpc::Channel>& channel) {
  client::Health h;
  return client::CheckHealth(channel, "", &h, 3000).ok() && h == client::Health::kServing;
}

TEST(TlsTest, ServerTlsAcceptsTlsClientsOnly) {
  Certificates certs;
  ASSERT_TRUE(certs.ok());
  config::Config cfg = testing::TestConfig("tls", "postgresql://unused", "redis://unused:1");
  cfg.tls = {certs.path("server.pem"), certs.path("server.key"), ""};
  metrics::Metrics metrics;
  server::ServiceHost host(cfg, metrics, [] { return true; });
  host.Start();
  EXPECT_TRUE(Serving(TlsChannel(certs, host.port(), "", "")));
  EXPECT_FALSE(Serving(grpc::CreateChannel("127.0.0.1:" + std::to_string(host.port()),
                                           grpc::InsecureChannelCredentials())));
}

TEST(TlsTest, MutualTlsRequiresACertificateFromTheConfiguredCa) {
  Certificates certs;
  ASSERT_TRUE(certs.ok());
  config::Config cfg = testing::TestConfig("mtls", "postgresql://unused", "redis://unused:1");
  cfg.tls = {certs.path("server.pem"), certs.path("server.key"), certs.path("ca.pem")};
  cfg.health_addr = "127.0.0.1:0";
  metrics::Metrics metrics;
  server::ServiceHost host(cfg, metrics, [] { return true; });
  host.Start();
  // Probes that cannot do TLS use the plaintext health-only port.
  EXPECT_TRUE(Serving(grpc::CreateChannel("127.0.0.1:" + std::to_string(host.health_port()),
                                          grpc::InsecureChannelCredentials())));
  EXPECT_TRUE(Serving(TlsChannel(certs, host.port(), "client.pem", "client.key")));
  EXPECT_FALSE(Serving(TlsChannel(certs, host.port(), "", "")));
  EXPECT_FALSE(Serving(TlsChannel(certs, host.port(), "stranger.pem", "stranger.key")));

  // Service-to-service calls use the same settings (server cert as client cert).
  config::TlsConfig peer{certs.path("client.pem"), certs.path("client.key"), certs.path("ca.pem")};
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(host.port()),
                                           server::MakeClientCredentials(peer), args);
  EXPECT_TRUE(Serving(channel));
}

}  // namespace
}  // namespace iop
