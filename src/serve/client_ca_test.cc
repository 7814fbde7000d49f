// serve --client-ca: the TLS listener asks for a client certificate and
// refuses the handshake without one that chains to the given CA, while the
// plain probe listener stays open. Certificates are made here by the openssl
// CLI (two CAs, a server certificate, a client certificate from each CA); the
// client is the project's libcurl client, as in ServerTest's TLS test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "http/client.h"
#include "io/error.h"
#include "serve/server.h"
#include "serve/test_fixture.h"

namespace podpower::serve {
namespace {

// Runs a shell command quietly; false when it fails.
bool Shell(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

constexpr const char* kNewKey =
    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

class ClientCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = testing::ServerOptionsOn(dir_);
    options_.threads = 2;
    const std::string k = kNewKey;
    // `openssl req -x509` marks its certificate CA:TRUE (the v3_ca section).
    bool ok = Shell("openssl req -x509 " + k +
                    " -days 1 -subj /CN=podpower -addext "
                    "subjectAltName=IP:127.0.0.1 -keyout " +
                    Pem("server.key") + " -out " + Pem("server.pem"));
    std::ofstream(Pem("client.ext")) << "extendedKeyUsage=clientAuth\n";
    for (const std::string ca : {"a", "b"}) {
      ok = ok &&
           Shell("openssl req -x509 " + k + " -days 1 -subj /CN=ca-" + ca +
                 " -keyout " + Pem("ca-" + ca + ".key") + " -out " +
                 Pem("ca-" + ca + ".pem")) &&
           Shell("openssl req -new " + k + " -subj /CN=client-" + ca +
                 " -keyout " + Pem("client-" + ca + ".key") + " -out " +
                 Pem("client-" + ca + ".csr")) &&
           Shell("openssl x509 -req -in " + Pem("client-" + ca + ".csr") +
                 " -CA " + Pem("ca-" + ca + ".pem") + " -CAkey " +
                 Pem("ca-" + ca + ".key") + " -set_serial 2 -days 1 -extfile " +
                 Pem("client.ext") + " -out " + Pem("client-" + ca + ".pem"));
    }
    if (!ok) GTEST_SKIP() << "the openssl CLI could not make test certificates";
    options_.tls_cert = Pem("server.pem");
    options_.tls_key = Pem("server.key");
  }
  void TearDown() override { server_.Stop(); }

  std::string Pem(const std::string& name) const { return tls_.File(name); }

  // A client that trusts the server certificate and presents the
  // certificate of `ca` ("a", "b"), or none for "".
  http::ClientOptions ClientOf(const std::string& ca) const {
    http::ClientOptions o;
    o.tls.ca_file = Pem("server.pem");
    if (!ca.empty()) {
      o.tls.client_cert_file = Pem("client-" + ca + ".pem");
      o.tls.client_key_file = Pem("client-" + ca + ".key");
    }
    return o;
  }

  http::Request Request(const std::string& method, const std::string& url,
                        const std::string& body = "") const {
    http::Request r;
    r.method = method;
    r.url = url;
    r.body = body;
    r.timeout = std::chrono::seconds(20);
    return r;
  }

  std::string Api(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  std::string Probe(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.health_port()) + path;
  }

  // The error a request from `client` ends with; "" when it got an answer.
  std::string Failure(const http::Client& client, const std::string& path) {
    try {
      client.Do(Request("POST", Api(path), record_json_));
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }

  testing::TempDir dir_;
  testing::TempDir tls_;
  ServerOptions options_;
  Server server_;
  const std::string record_json_ = testing::ClusterBRecords()[0].raw.dump();
};

TEST_F(ClientCaTest, only_clients_of_the_ca_get_through_and_probes_stay_open) {
  options_.client_ca = Pem("ca-a.pem");
  options_.health_listen = "127.0.0.1:0";
  server_.Start(options_);

  const http::Client good(ClientOf("a"));
  // "Connection: close", so the second request opens a new connection and
  // resumes the TLS session of the first (curl does by default).
  http::Request first = Request("POST", Api("/predict"), record_json_);
  first.headers.push_back({"Connection", "close"});
  const http::Response answer = good.Do(first);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("pred_energy_step_j"), std::string::npos);
  EXPECT_EQ(good.Do(Request("POST", Api("/predict"), record_json_)).status,
            200);

  // No certificate, and one from another CA: the handshake is refused, so
  // the request never reaches the router, and the client reads the alert
  // that says why (the server lingers after it: in TLS 1.3 the client's
  // request is already on its way, and a close at once would reset the
  // connection before the alert is read).
  const http::Client none(ClientOf(""));
  const http::Client other(ClientOf("b"));
  const std::pair<const http::Client*, const char*> refused[] = {
      {&none, "alert certificate required"}, {&other, "alert unknown ca"}};
  for (const auto& [client, alert] : refused) {
    for (const char* path : {"/predict", "/admission", "/healthz"}) {
      const std::string failure = Failure(*client, path);
      EXPECT_NE(failure.find(alert), std::string::npos)
          << path << ": " << (failure.empty() ? "answered" : failure);
    }
  }

  // The probe listener is plain HTTP and asks for no certificate (kubelet
  // sends none).
  const http::Client plain(http::ClientOptions{});
  const http::Response healthz = plain.Do(Request("GET", Probe("/healthz")));
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "ok\n");
  EXPECT_EQ(plain.Do(Request("GET", Probe("/readyz"))).status, 200);
  const std::string metrics = plain.Do(Request("GET", Probe("/metrics"))).body;
  // The two good requests were all /predict saw; /admission saw none.
  EXPECT_NE(metrics.find("podpower_http_requests_total{endpoint=\"/predict\","
                         "code=\"200\"} 2\n"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(
      metrics.find("podpower_http_requests_total{endpoint=\"/admission\""),
      std::string::npos)
      << metrics;
  // Each refused handshake is counted: 2 clients x 3 paths.
  EXPECT_NE(metrics.find("podpower_connections_tls_refused_total{listener="
                         "\"api\"} 6\n"),
            std::string::npos)
      << metrics;
}

TEST_F(ClientCaTest, without_client_ca_no_certificate_is_asked_for) {
  server_.Start(options_);
  const http::Client none(ClientOf(""));
  EXPECT_EQ(none.Do(Request("POST", Api("/predict"), record_json_)).status,
            200);
  const http::Client other(ClientOf("b"));
  EXPECT_EQ(other.Do(Request("POST", Api("/predict"), record_json_)).status,
            200);
}

TEST_F(ClientCaTest, unusable_client_ca_fails_start_with_one_line_naming_it) {
  const std::string folder = tls_.path();
  std::ofstream(Pem("empty.pem")).flush();
  std::ofstream(Pem("broken.pem"))
      << "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
         "-----END CERTIFICATE-----\n";
  struct Case {
    std::string file;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {Pem("missing.pem"), "cannot read: No such file or directory"},
      {folder, "is a folder"},
      {Pem("empty.pem"), "no PEM certificate"},
      {Pem("ca-a.key"), "no PEM certificate"},
      {Pem("broken.pem"), "certificate 1 is not a valid PEM certificate"},
      {Pem("client-a.pem"), "certificate 1 is not a CA certificate"},
  };
  for (const auto& c : cases) {
    ServerOptions options = options_;
    options.client_ca = c.file;
    Server server;
    try {
      server.Start(options);
      ADD_FAILURE() << c.file << ": started";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("--client-ca " + c.file + ": ", 0), 0u)
          << message;
      EXPECT_NE(message.find(c.reason), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  // A CA file without TLS to check it in.
  ServerOptions plain = options_;
  plain.tls_cert.clear();
  plain.tls_key.clear();
  plain.client_ca = Pem("ca-a.pem");
  Server server;
  try {
    server.Start(plain);
    ADD_FAILURE() << "started without TLS";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs --tls-cert"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace podpower::serve
