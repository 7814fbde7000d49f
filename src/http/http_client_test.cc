// The HTTP client against a real HTTP peer: a cpp-httplib server on loopback
// (plain and TLS, with certificates made by the openssl CLI in a temp folder
// for each run).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "http/client.h"
#include "io/error.h"

// Requests and options are built with designated initializers; every field has
// a default, so the fields left out are intended.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace podpower::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Certificates: a test CA, a server certificate for 127.0.0.1/localhost, one
// only for the name "podpower.test", a client certificate, and an unrelated CA
// that must not verify anything.
class Pki {
 public:
  Pki() {
    dir_ = fs::temp_directory_path() /
           ("podpower-http-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -keyout ca.key "
        "-out ca.crt -days 1 -subj /CN=test-ca");
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -keyout "
        "other-ca.key -out other-ca.crt -days 1 -subj /CN=other-ca");
    Sign("server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    Sign("named", "podpower.test", "subjectAltName=DNS:podpower.test");
    Sign("client", "podpower-client", "extendedKeyUsage=clientAuth");
  }
  ~Pki() { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }

 private:
  void Run(const std::string& command) {
    std::string full =
        "cd '" + dir_.string() + "' && " + command + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << full;
  }
  void Sign(const std::string& name, const std::string& cn,
            const std::string& ext) {
    std::ofstream(dir_ / (name + ".ext")) << ext << "\n";
    Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout " +
        name + ".key -out " + name + ".csr -subj /CN=" + cn);
    Run("openssl x509 -req -in " + name +
        ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out " + name +
        ".crt -days 1 -extfile " + name + ".ext");
  }
  fs::path dir_;
};

Pki& TestPki() {
  static Pki* pki = new Pki();
  return *pki;
}

// Runs a cpp-httplib server on a free loopback port for the lifetime of the
// object.
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server =
                          std::make_unique<httplib::Server>())
      : server_(std::move(server)) {}
  httplib::Server& operator*() { return *server_; }
  httplib::Server* operator->() { return server_.get(); }
  void Start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i)
      std::this_thread::sleep_for(2ms);
  }
  ~TestServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string Url(const std::string& path,
                  const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

std::unique_ptr<httplib::Server> TlsServer(const std::string& cert,
                                           bool require_client_cert) {
  Pki& pki = TestPki();
  std::string ca = pki.Path("ca.crt");
  return std::make_unique<httplib::SSLServer>(
      pki.Path(cert + ".crt").c_str(), pki.Path(cert + ".key").c_str(),
      require_client_cert ? ca.c_str() : nullptr);
}

// A free port with nothing listening: bind port 0 without listen(), note the
// number, close.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(HttpClient, get_returns_status_headers_and_body) {
  TestServer server;
  server->Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Reply", "yes");
    res.set_content("hello world", "text/plain");
  });
  server.Start();
  Client client({});
  Response r = client.Do({.url = server.Url("/hello")});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.Header("x-reply"), "yes");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.http_version, 1);
}

TEST(HttpClient, form_post_is_url_encoded_and_parsed_by_server) {
  TestServer server;
  std::string seen_type, seen_a, seen_b;
  server->Post("/form",
               [&](const httplib::Request& req, httplib::Response& res) {
                 seen_type = req.get_header_value("Content-Type");
                 seen_a = req.get_param_value("a");
                 seen_b = req.get_param_value("b c");
                 res.set_content("ok", "text/plain");
               });
  server.Start();
  Client client({});
  Response r = client.Do(
      FormPost(server.Url("/form"), {{"a", "1&2=3"}, {"b c", "x y/z"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen_a, "1&2=3");
  EXPECT_EQ(seen_b, "x y/z");
}

TEST(HttpClient, custom_method_headers_and_body_reach_server) {
  TestServer server;
  std::string seen_body, seen_header;
  server->Patch("/obj",
                [&](const httplib::Request& req, httplib::Response& res) {
                  seen_body = req.body;
                  seen_header = req.get_header_value("X-Test");
                  res.status = 201;
                });
  server.Start();
  Client client({});
  Request req{.method = "PATCH", .url = server.Url("/obj")};
  req.headers = {{"X-Test", "value 1"}, {"Content-Type", "application/json"}};
  req.body = R"({"a":1})";
  Response r = client.Do(req);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(seen_body, R"({"a":1})");
  EXPECT_EQ(seen_header, "value 1");
}

TEST(HttpClient, bearer_token_is_sent_and_per_request_token_overrides) {
  TestServer server;
  std::vector<std::string> seen;
  server->Get("/t", [&](const httplib::Request& req, httplib::Response&) {
    seen.push_back(req.get_header_value("Authorization"));
  });
  server.Start();
  Client client({.credentials = {.bearer_token = "tok-123"}});
  client.Do({.url = server.Url("/t")});
  client.Do({.url = server.Url("/t"), .bearer_token = "rotated-456"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "Bearer tok-123");
  EXPECT_EQ(seen[1], "Bearer rotated-456");
}

TEST(HttpClient, basic_auth_is_sent) {
  TestServer server;
  std::string seen;
  server->Get("/b", [&](const httplib::Request& req, httplib::Response&) {
    seen = req.get_header_value("Authorization");
  });
  server.Start();
  Client client({.credentials = {.username = "user", .password = "pass"}});
  client.Do({.url = server.Url("/b")});
  EXPECT_EQ(seen, "Basic dXNlcjpwYXNz");  // RFC 7617: base64("user:pass")
}

TEST(HttpClient, error_status_is_returned_not_thrown) {
  TestServer server;
  server->Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"reason":"NotFound"})", "application/json");
  });
  server.Start();
  Client client({});
  Response r = client.Do({.url = server.Url("/missing")});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"reason":"NotFound"})");
}

TEST(HttpClient, timeout_throws_error_naming_url) {
  TestServer server;
  server->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1500ms);
    res.set_content("late", "text/plain");
  });
  server.Start();
  Client client({});
  try {
    client.Do({.url = server.Url("/slow"), .timeout = 200ms});
    FAIL() << "expected a timeout";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("GET " + server.Url("/slow")), std::string::npos) << m;
    EXPECT_NE(m.find("Timeout"), std::string::npos) << m;
  }
}

TEST(HttpClient, refused_connection_error_hides_credentials) {
  int port = ClosedPort();
  Client client({.credentials = {.bearer_token = "sekret-token",
                                 .password = "sekret-pw"}});
  std::string url =
      "http://alice:sekret-url@127.0.0.1:" + std::to_string(port) + "/x";
  try {
    client.Do({.url = url});
    FAIL() << "expected a connection error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find("sekret"), std::string::npos) << m;
    EXPECT_NE(m.find("http://127.0.0.1:" + std::to_string(port) + "/x"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("onnect"), std::string::npos)
        << m;  // "Couldn't connect to server"
  }
}

TEST(HttpClient, concurrent_requests_share_one_client) {
  TestServer server;
  server->Get("/n", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_param_value("i"), "text/plain");
  });
  server.Start();
  Client client({});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        std::string want = std::to_string(t * 1000 + i);
        Response r = client.Do({.url = server.Url("/n?i=" + want)});
        if (r.status == 200 && r.body == want) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 240);
}

TEST(HttpClient, sequential_requests_reuse_the_connection) {
  TestServer server;
  std::vector<int> ports;
  server->Get("/p", [&](const httplib::Request& req, httplib::Response& res) {
    ports.push_back(req.remote_port);
    res.set_content("x", "text/plain");
  });
  server.Start();
  Client client({});
  for (int i = 0; i < 3; ++i) client.Do({.url = server.Url("/p")});
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0], ports[1]);  // same client socket: kept alive and reused
  EXPECT_EQ(ports[1], ports[2]);
}

// A chunked response whose chunks do not line up with lines.
void ServeChunks(TestServer& server, std::vector<std::string> chunks) {
  server->Get(
      "/stream", [chunks](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider(
            "application/json", [chunks](size_t, httplib::DataSink& sink) {
              for (const auto& c : chunks) {
                sink.write(c.data(), c.size());
                std::this_thread::sleep_for(5ms);
              }
              sink.done();
              return true;
            });
      });
}

TEST(HttpStream, lines_split_across_chunks_are_reassembled) {
  TestServer server;
  ServeChunks(server, {"{\"a\":", "1}\n{\"b\"", ":2}\r\n\n",
                       "{\"c\":3}\n{\"tail\":4}"});
  server.Start();
  Client client({});
  std::vector<std::string> lines;
  Response r =
      client.Stream({.url = server.Url("/stream")}, [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      });
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.cancelled);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "",
                                             "{\"c\":3}", "{\"tail\":4}"}));
}

TEST(HttpStream, handler_returning_false_stops_the_stream) {
  TestServer server;
  ServeChunks(server, {"1\n", "2\n", "3\n", "4\n"});
  server.Start();
  Client client({});
  std::vector<std::string> lines;
  Response r =
      client.Stream({.url = server.Url("/stream")}, [&](std::string_view line) {
        lines.emplace_back(line);
        return lines.size() < 2;
      });
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(lines, (std::vector<std::string>{"1", "2"}));
}

TEST(HttpStream, cancel_from_another_thread_ends_an_endless_stream) {
  TestServer server;
  std::atomic<bool> server_done{false};
  server->Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/json", [&](size_t, httplib::DataSink& sink) {
          for (int i = 0; i < 2000 && !server_done; ++i) {
            std::string line = "{\"i\":" + std::to_string(i) + "}\n";
            if (!sink.write(line.data(), line.size())) return false;
            std::this_thread::sleep_for(20ms);
          }
          sink.done();
          return true;
        });
  });
  server.Start();
  Client client({});
  Cancel cancel;
  std::atomic<int> count{0};
  std::thread canceller([&] {
    while (count < 3) std::this_thread::sleep_for(5ms);
    cancel.Trigger();
  });
  Response r = client.Stream(
      {.url = server.Url("/endless")},
      [&](std::string_view) {
        ++count;
        return true;
      },
      &cancel);
  canceller.join();
  server_done = true;
  EXPECT_TRUE(r.cancelled);
  EXPECT_GE(count.load(), 3);
  EXPECT_LT(count.load(), 2000);
}

TEST(HttpStream, error_status_collects_body_instead_of_lines) {
  TestServer server;
  server->Get("/gone", [](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content("{\"kind\":\"Status\",\"code\":410}\n", "application/json");
  });
  server.Start();
  Client client({});
  int lines = 0;
  Response r =
      client.Stream({.url = server.Url("/gone")}, [&](std::string_view) {
        ++lines;
        return true;
      });
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(lines, 0);
  EXPECT_EQ(r.body, "{\"kind\":\"Status\",\"code\":410}\n");
}

TEST(HttpStream, handler_exception_propagates_to_caller) {
  TestServer server;
  ServeChunks(server, {"good\n", "bad\n", "never\n"});
  server.Start();
  Client client({});
  std::vector<std::string> lines;
  EXPECT_THROW(client.Stream({.url = server.Url("/stream")},
                             [&](std::string_view line) {
                               lines.emplace_back(line);
                               if (line == "bad")
                                 throw Error("stream:2: bad line");
                               return true;
                             }),
               Error);
  EXPECT_EQ(lines, (std::vector<std::string>{"good", "bad"}));
}

void ServeHello(TestServer& server) {
  server->Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("tls hello", "text/plain");
  });
  server.Start();
}

TEST(HttpTls, ca_file_and_ca_pem_verify_the_server) {
  TestServer server(TlsServer("server", false));
  ServeHello(server);
  Client by_file({.tls = {.ca_file = TestPki().Path("ca.crt")}});
  EXPECT_EQ(by_file.Do({.url = server.Url("/hello", "https")}).body,
            "tls hello");
  Client by_pem({.tls = {.ca_pem = ReadFile(TestPki().Path("ca.crt"))}});
  EXPECT_EQ(by_pem.Do({.url = server.Url("/hello", "https")}).body,
            "tls hello");
  // localhost is in the certificate too.
  std::string local =
      "https://localhost:" + std::to_string(server.port()) + "/hello";
  EXPECT_EQ(by_pem.Do({.url = local}).status, 200);
}

TEST(HttpTls, wrong_ca_fails_with_certificate_error) {
  TestServer server(TlsServer("server", false));
  ServeHello(server);
  Client client({.tls = {.ca_file = TestPki().Path("other-ca.crt")}});
  try {
    client.Do({.url = server.Url("/hello", "https")});
    FAIL() << "an unknown CA must not verify";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(server.Url("/hello", "https")), std::string::npos) << m;
    EXPECT_NE(m.find("certificate"), std::string::npos) << m;
  }
}

TEST(HttpTls, system_store_does_not_trust_a_private_ca) {
  TestServer server(TlsServer("server", false));
  ServeHello(server);
  Client client({});
  EXPECT_THROW(client.Do({.url = server.Url("/hello", "https")}), Error);
}

TEST(HttpTls, insecure_skip_verify_accepts_unknown_ca) {
  TestServer server(TlsServer("server", false));
  ServeHello(server);
  Client client({.tls = {.insecure_skip_verify = true}});
  EXPECT_EQ(client.Do({.url = server.Url("/hello", "https")}).status, 200);
}

TEST(HttpTls, server_name_verifies_a_name_other_than_the_url_host) {
  TestServer server(TlsServer("named", false));
  std::string seen_host;
  server->Get("/hello",
              [&](const httplib::Request& req, httplib::Response& res) {
                seen_host = req.get_header_value("Host");
                res.set_content("named", "text/plain");
              });
  server.Start();
  std::string url = server.Url("/hello", "https");
  Client plain({.tls = {.ca_file = TestPki().Path("ca.crt")}});
  EXPECT_THROW(plain.Do({.url = url}),
               Error);  // certificate is for podpower.test only
  Client named({.tls = {.ca_file = TestPki().Path("ca.crt"),
                        .server_name = "podpower.test"}});
  Response r = named.Do({.url = url});
  EXPECT_EQ(r.body, "named");
  EXPECT_EQ(seen_host, "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpTls, client_certificate_from_file_or_pem_is_accepted) {
  TestServer server(TlsServer("server", true));
  ServeHello(server);
  Pki& pki = TestPki();
  std::string url = server.Url("/hello", "https");
  Client none({.tls = {.ca_file = pki.Path("ca.crt")}});
  EXPECT_THROW(none.Do({.url = url}), Error);
  Client files({.tls = {.ca_file = pki.Path("ca.crt"),
                        .client_cert_file = pki.Path("client.crt"),
                        .client_key_file = pki.Path("client.key")}});
  EXPECT_EQ(files.Do({.url = url}).body, "tls hello");
  Client pems({.tls = {.ca_pem = ReadFile(pki.Path("ca.crt")),
                       .client_cert_pem = ReadFile(pki.Path("client.crt")),
                       .client_key_pem = ReadFile(pki.Path("client.key"))}});
  EXPECT_EQ(pems.Do({.url = url}).body, "tls hello");
}

TEST(HttpUrl, redact_removes_user_info_only) {
  EXPECT_EQ(RedactUrl("https://u:p@host:1/a?b=c@d"), "https://host:1/a?b=c@d");
  EXPECT_EQ(RedactUrl("https://host/a@b"), "https://host/a@b");
  EXPECT_EQ(RedactUrl("http://tok@h"), "http://h");
  EXPECT_EQ(RedactUrl("http://h:8080"), "http://h:8080");
}

TEST(HttpUrl, url_encode_keeps_only_unreserved_characters) {
  EXPECT_EQ(UrlEncode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(UrlEncode("a b/c=d&é"), "a%20b%2Fc%3Dd%26%C3%A9");
}

}  // namespace
}  // namespace podpower::http
