// podpower serve against slow and many clients, over real loopback sockets:
// 1,000 connections that send half a request header while every prediction
// worker is held by a body that never completes; the probes are still answered,
// the connections beyond --max-connections are refused at once, and read
// timeouts close what stalls. Also the request time budget (deadline.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "serve/front.h"
#include "serve/server.h"
#include "serve/test_fixture.h"
#include "serve/test_socket.h"

namespace podpower::serve {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

using testing::Connect;
using testing::ReadUntilClosed;
using testing::Send;

// One GET on a fresh connection: the answer's bytes and how long it took.
struct Timed {
  std::string answer;
  double ms = 0;
};
Timed Get(int port, const std::string& path) {
  const auto start = Clock::now();
  Timed t;
  const int fd = Connect(port);
  if (fd < 0) return t;
  Send(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  t.answer = ReadUntilClosed(fd, std::chrono::seconds(5));
  t.ms = Ms(Clock::now() - start);
  ::close(fd);
  return t;
}

// The value of one series in a /metrics text; -1 when absent.
double Metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// Polls /metrics on `port` until `series` reaches `value` (up to 10 s).
double WaitForMetric(int port, const std::string& series, double value) {
  double seen = -1;
  for (int i = 0; i < 200; ++i) {
    seen = Metric(Get(port, "/metrics").answer, series);
    if (seen >= value) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return seen;
}

// One whole answer (header and Content-Length body) from `fd`; what arrived
// when the peer closes or `timeout` passes first.
std::string ReadAnswer(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const size_t end = out.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t at = out.find("Content-Length: ");
      if (at != std::string::npos && at < end &&
          out.size() >= end + 4 + std::stoul(out.substr(at + 16)))
        return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

class SlowClientsTest : public ::testing::Test {
 protected:
  void SetUp() override { options_ = testing::ServerOptionsOn(dir_); }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    server_.Stop();
  }

  testing::TempDir dir_;
  ServerOptions options_;
  Server server_;
  std::vector<int> fds_;  // client sockets, closed at the end
};

TEST_F(SlowClientsTest,
       half_open_connections_neither_starve_probes_nor_exceed_the_cap) {
  // 1,000 client sockets and as many accepted ones live in this process.
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 4096) {
    limit.rlim_cur = std::min<rlim_t>(4096, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ASSERT_GE(limit.rlim_cur, 2200u) << "ulimit -n too low for 1,000 sockets";

  options_.threads = 2;
  options_.max_connections = 512;
  options_.health_listen = "127.0.0.1:0";
  options_.read_timeout = std::chrono::seconds(30);  // hold them all test long
  server_.Start(options_);
  const int api = server_.port();
  const int health = server_.health_port();

  // Both prediction workers are held by bodies larger than the front reads
  // itself whose rest never arrives (the front hands a large body to a worker
  // once it has its first kFrontBodyBytes).
  for (int i = 0; i < 2; ++i) {
    const int fd = Connect(api);
    ASSERT_GE(fd, 0);
    fds_.push_back(fd);
    Send(fd,
         "POST /predict/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n"
         "\r\n" +
             std::string(kFrontBodyBytes, ' '));
  }
  for (int i = 0; i < 500 && server_.metrics().in_flight() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server_.metrics().in_flight(), 2u) << "workers not busy";
  const Timed busy_api = Get(api, "/healthz");
  EXPECT_EQ(busy_api.answer.rfind("HTTP/1.1 200", 0), 0u) << busy_api.answer;

  // 1,000 connections that send half a request header and stop.
  const auto open_start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    const int fd = Connect(api);
    if (fd < 0) continue;
    fds_.push_back(fd);
    Send(fd, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Le");
  }
  const double open_ms = Ms(Clock::now() - open_start);
  // 2 + 1,000 connections against a cap of 512: 490 refused at once.
  EXPECT_EQ(
      WaitForMetric(
          health, "podpower_connections_refused_total{listener=\"api\"}", 490),
      490);

  // The probes, through the probe listener, while all of that is held.
  std::vector<double> latencies;
  for (const char* path : {"/healthz", "/readyz", "/healthz", "/healthz"}) {
    const Timed t = Get(health, path);
    EXPECT_EQ(t.answer.rfind("HTTP/1.1 200", 0), 0u) << path << t.answer;
    EXPECT_LT(t.ms, 5000) << path;  // generous; measured below
    latencies.push_back(t.ms);
  }
  const std::string metrics = Get(health, "/metrics").answer;
  EXPECT_EQ(Metric(metrics, "podpower_connections_open{listener=\"api\"}"),
            512);
  // The two held bodies, and this /metrics request itself.
  EXPECT_EQ(Metric(metrics, "podpower_requests_in_flight"), 3);

  // A new connection to the full listener is refused at once with 503.
  const auto refused_start = Clock::now();
  const int extra = Connect(api);
  ASSERT_GE(extra, 0);
  const std::string refused = ReadUntilClosed(extra, std::chrono::seconds(5));
  const double refused_ms = Ms(Clock::now() - refused_start);
  ::close(extra);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos);
  // Most of the 1,000 got that answer too (the rest are held).
  int answered_503 = 0;
  for (size_t i = 2; i < fds_.size(); ++i) {
    char buf[16] = {0};
    if (::recv(fds_[i], buf, 12, MSG_DONTWAIT) == 12 &&
        std::string(buf, 12) == "HTTP/1.1 503")
      ++answered_503;
  }
  EXPECT_EQ(answered_503, 490);

  std::printf(
      "[ measured ] 1,000 half-open + 2 busy workers: opened in %.0f ms; "
      "/healthz via the busy API port %.2f ms; probe listener /healthz "
      "%.2f, /readyz %.2f, /healthz %.2f, %.2f ms; refused in %.2f ms\n",
      open_ms, busy_api.ms, latencies[0], latencies[1], latencies[2],
      latencies[3], refused_ms);

  // Once the clients give up, the listener serves predictions again.
  for (int fd : fds_) ::close(fd);
  fds_.clear();
  for (int i = 0; i < 200; ++i) {
    const std::string m = Get(health, "/metrics").answer;
    if (Metric(m, "podpower_connections_open{listener=\"api\"}") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  http::Client client{http::ClientOptions{}};
  http::Request r;
  r.method = "POST";
  r.url = "http://127.0.0.1:" + std::to_string(api) + "/predict";
  r.body = testing::ClusterBRecords()[0].raw.dump();
  r.timeout = std::chrono::seconds(10);
  const auto predict_start = Clock::now();
  EXPECT_EQ(client.Do(r).status, 200);
  std::printf("[ measured ] /predict after the clients left: %.2f ms\n",
              Ms(Clock::now() - predict_start));
}

TEST_F(SlowClientsTest, read_timeouts_close_stalled_and_trickling_clients) {
  options_.read_timeout = std::chrono::milliseconds(400);
  options_.keep_alive_timeout = std::chrono::milliseconds(300);
  server_.Start(options_);
  const int api = server_.port();

  // Half a header, then nothing: 408 and closed.
  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    const int fd = Connect(api);
    ASSERT_GE(fd, 0);
    stalled.push_back(fd);
    Send(fd, "GET /healthz HTTP/1.1\r\nHos");
  }
  // Connected, never a byte: closed without an answer.
  const int silent = Connect(api);
  // One header byte every 100 ms: each read is quick, the header is not.
  const int trickle = Connect(api);
  auto trickled = std::async(std::launch::async, [&] {
    const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto start = Clock::now();
    for (char c : header) {
      if (!Send(trickle, std::string(1, c))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Ms(Clock::now() - start);
  });
  // A body larger than the front reads itself, its first kFrontBodyBytes
  // sent: the worker's read of the rest gives up at the timeout, 408.
  const int slow_body = Connect(api);
  Send(slow_body,
       "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
           std::string(kFrontBodyBytes, ' '));

  const auto start = Clock::now();
  for (int fd : stalled) {
    const std::string answer = ReadUntilClosed(fd, std::chrono::seconds(5));
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    ::close(fd);
  }
  const double stalled_ms = Ms(Clock::now() - start);
  EXPECT_EQ(ReadUntilClosed(silent, std::chrono::seconds(5)), "");
  ::close(silent);
  const std::string trickle_answer =
      ReadUntilClosed(trickle, std::chrono::seconds(5));
  EXPECT_EQ(trickle_answer.rfind("HTTP/1.1 408", 0), 0u) << trickle_answer;
  const std::string body_answer =
      ReadUntilClosed(slow_body, std::chrono::seconds(5));
  EXPECT_EQ(body_answer.rfind("HTTP/1.1 408", 0), 0u) << body_answer;
  EXPECT_NE(body_answer.find("request body not received in time"),
            std::string::npos)
      << body_answer;
  trickled.wait();
  ::close(trickle);
  ::close(slow_body);
  // The 20 stalled ones were closed within the timeout plus the loop's
  // 100 ms scan (bound generous for a loaded machine).
  EXPECT_LT(stalled_ms, 3000);

  const std::string metrics = Get(api, "/metrics").answer;
  EXPECT_EQ(Metric(metrics,
                   "podpower_connections_timed_out_total{listener="
                   "\"api\",phase=\"header\"}"),
            21);  // 20 stalled + the trickle
  EXPECT_EQ(Metric(metrics,
                   "podpower_connections_timed_out_total{listener="
                   "\"api\",phase=\"body\"}"),
            1);
  std::printf(
      "[ measured ] 20 stalled headers closed after %.0f ms "
      "(--read-timeout 400 ms)\n",
      stalled_ms);

  // Keep-alive still works for clients that keep up.
  const int fd = Connect(api);
  Send(fd,
       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\n"
       "Host: x\r\nConnection: close\r\n\r\n");
  const std::string both = ReadUntilClosed(fd, std::chrono::seconds(5));
  ::close(fd);
  EXPECT_EQ(both.find("HTTP/1.1 200"), 0u) << both;
  EXPECT_NE(both.find("HTTP/1.1 200", 5), std::string::npos) << both;
}

TEST_F(SlowClientsTest, request_past_its_time_budget_is_abandoned_and_counted) {
  options_.max_body_bytes = 64 << 20;
  options_.request_timeout = std::chrono::milliseconds(1);
  server_.Start(options_);
  http::Client client{http::ClientOptions{}};
  http::Request r;
  r.method = "POST";
  r.url =
      "http://127.0.0.1:" + std::to_string(server_.port()) + "/predict/batch";
  r.body = testing::ManyRecordsNdjson(400);  // 8,800 records
  r.timeout = std::chrono::seconds(60);
  const auto response = client.Do(r);
  EXPECT_EQ(response.status, 503) << response.body.substr(0, 200);
  EXPECT_NE(response.body.find("exceeded its time budget of 0.001 s"),
            std::string::npos)
      << response.body.substr(0, 200);
  const std::string metrics =
      Get(server_.port(), "/metrics").answer;  // probes have no budget
  EXPECT_EQ(
      Metric(metrics, "podpower_requests_abandoned_total{reason=\"deadline\"}"),
      1)
      << metrics;
  EXPECT_EQ(
      Metric(metrics, "podpower_requests_abandoned_total{reason=\"shutdown\"}"),
      0);
  // Within a budget the same batch is answered in full.
  server_.Stop();
  Server roomy;
  options_.request_timeout = std::chrono::seconds(60);
  roomy.Start(options_);
  r.url = "http://127.0.0.1:" + std::to_string(roomy.port()) + "/predict/batch";
  const auto full = client.Do(r);
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(std::count(full.body.begin(), full.body.end(), '\n'), 8800);
}

TEST_F(SlowClientsTest,
       header_over_the_limit_gets_431_even_when_it_arrives_whole_with_a_body) {
  // A 20 KiB header and a 64 KiB body in one send: the front once took the
  // header (only a header still incomplete was measured), waited for a body
  // that could not fit its buffer, spun on the readable socket and answered
  // 408 after the whole read timeout.
  options_.read_timeout = std::chrono::seconds(30);
  server_.Start(options_);
  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  const std::string body(kFrontBodyBytes, ' ');
  auto sent = std::async(std::launch::async, [&] {
    return Send(fd, "POST /predict HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                        std::string(20000, 'a') + "\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  const std::string answer = ReadAnswer(fd, std::chrono::seconds(10));
  sent.wait();
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("request header too large"), std::string::npos);
}

TEST_F(SlowClientsTest,
       announced_body_over_the_limit_gets_413_before_100_continue) {
  // cpp-httplib answered "100 Continue" to a 100 MB announcement, then spent
  // the read timeout skipping the body and answered 408.
  options_.read_timeout = std::chrono::seconds(30);
  options_.max_body_bytes = 1 << 20;
  server_.Start(options_);
  for (const std::string expect : {"Expect: 100-continue\r\n", ""}) {
    const int fd = Connect(server_.port());
    ASSERT_GE(fd, 0);
    fds_.push_back(fd);
    Send(fd,
         "POST /predict/batch HTTP/1.1\r\nHost: x\r\nContent-Length: "
         "100000000\r\n" +
             expect + "\r\n");
    const std::string answer = ReadAnswer(fd, std::chrono::seconds(10));
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << expect << answer;
    EXPECT_NE(answer.find("request body too large (limit 1048576 bytes)"),
              std::string::npos)
        << answer;
  }
}

TEST_F(SlowClientsTest, refused_request_is_answered_then_closed_without_reset) {
  // A 431 while the client still sends its (2 MB) request: closing with
  // unread bytes sends a reset, which destroys the answer in the client's
  // buffer; the front lingers, discarding, until the client closes.
  server_.Start(options_);
  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  auto sent = std::async(std::launch::async, [&] {
    return Send(fd, "POST /predict HTTP/1.1\r\nX-Pad: " +
                        std::string(2 << 20, 'a') + "\r\n\r\n");
  });
  EXPECT_TRUE(sent.get()) << "the upload was reset: " << std::strerror(errno);
  const std::string answer = ReadAnswer(fd, std::chrono::seconds(10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
  ::shutdown(fd, SHUT_WR);
  char byte = 0;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << std::strerror(errno);
}

TEST_F(SlowClientsTest, answer_that_ends_the_connection_says_connection_close) {
  // A 400 for a body that is not JSON ends the keep-alive connection; without
  // "Connection: close" the client sends its next request into a closed
  // socket, and a POST is not retried (bench/serve_hostile.sh lost them).
  server_.Start(options_);
  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  const std::string body = "{\"a\":";
  Send(fd, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string answer = ReadAnswer(fd, std::chrono::seconds(10));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  const std::string head = answer.substr(0, answer.find("\r\n\r\n") + 2);
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Connection: close"), head.rfind("Connection: close"))
      << "one header, not two: " << head;
}

// Optional bearer tokens: prediction endpoints need the file's token, probes
// do not, a rotated file takes effect without a restart, and neither token
// reaches the server's log or its answers.
TEST_F(SlowClientsTest,
       bearer_token_guards_predictions_and_never_reaches_logs) {
  const std::string first = "s3cr3t-first-token-value";
  const std::string second = "s3cr3t-second-token-value";
  { std::ofstream(dir_.File("token")) << first << "\n"; }
  options_.auth_token_file = dir_.File("token");
  options_.log_requests = true;
  ::testing::internal::CaptureStderr();
  server_.Start(options_);
  const auto ask = [&](const std::string& request) {
    const int fd = Connect(server_.port());
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    Send(fd, request);
    return ReadAnswer(fd, std::chrono::seconds(10));
  };
  const std::string body = "{\"a\":";  // not JSON: 400 once let through
  const auto predict = [&](const std::string& header) {
    return ask("POST /predict HTTP/1.1\r\nHost: x\r\n" + header +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
               body);
  };
  std::vector<std::string> answers;
  answers.push_back(predict(""));
  answers.push_back(predict("Authorization: Bearer wrong\r\n"));
  answers.push_back(predict("Authorization: Basic " + first + "\r\n"));
  for (const auto& a : answers) {
    EXPECT_EQ(a.rfind("HTTP/1.1 401", 0), 0u) << a;
    EXPECT_NE(a.find("WWW-Authenticate: Bearer"), std::string::npos) << a;
    EXPECT_NE(a.find("Connection: close"), std::string::npos) << a;
  }
  const std::string right = predict("Authorization: Bearer " + first + "\r\n");
  EXPECT_EQ(right.rfind("HTTP/1.1 400", 0), 0u) << right;  // past the check
  const std::string probe =
      ask("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(probe.rfind("HTTP/1.1 200", 0), 0u) << probe;
  // Rotation: a new file (another size) replaces the old token.
  { std::ofstream(dir_.File("token")) << second << "-rotated\n"; }
  const std::string old_token =
      predict("Authorization: Bearer " + first + "\r\n");
  EXPECT_EQ(old_token.rfind("HTTP/1.1 401", 0), 0u) << old_token;
  const std::string new_token =
      predict("Authorization: bearer " + second + "-rotated\r\n");
  EXPECT_EQ(new_token.rfind("HTTP/1.1 400", 0), 0u) << new_token;
  server_.Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("POST /predict 401"), std::string::npos) << log;
  EXPECT_EQ(log.find("s3cr3t"), std::string::npos) << log;
  answers.push_back(right);
  answers.push_back(old_token);
  answers.push_back(new_token);
  for (const auto& a : answers)
    EXPECT_EQ(a.find("s3cr3t"), std::string::npos) << a;
}

TEST_F(SlowClientsTest, announced_large_body_that_never_comes_holds_no_worker) {
  // One worker; a client announces 500 KB and sends nothing. The front keeps
  // it (until the read timeout) instead of handing it to the only worker.
  options_.threads = 1;
  options_.read_timeout = std::chrono::seconds(30);
  server_.Start(options_);
  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  Send(fd,
       "POST /predict/batch HTTP/1.1\r\nHost: x\r\nContent-Length: "
       "500000\r\n\r\n");
  http::Client client{http::ClientOptions{}};
  http::Request r;
  r.method = "POST";
  r.url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/predict";
  r.body = testing::ClusterBRecords()[0].raw.dump();
  r.timeout = std::chrono::seconds(10);  // generous; the worker is free
  EXPECT_EQ(client.Do(r).status, 200);
}

TEST_F(SlowClientsTest,
       api_clients_that_never_read_do_not_hold_the_probe_listener) {
  // Three API connections pipeline GET /metrics and never read: each answer
  // waits in a probe worker's write for --write-timeout. The probe listener
  // has workers of its own, so kubelet's /healthz there is still answered
  // (with shared probe workers it waited for the write timeout).
  options_.health_listen = "127.0.0.1:0";
  options_.write_timeout = std::chrono::seconds(30);
  server_.Start(options_);
  std::string pipelined;
  for (int i = 0; i < 3000; ++i)
    pipelined += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    fds_.push_back(fd);
    const int small = 4096;  // so the answers back up quickly
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    [[maybe_unused]] const ssize_t n = ::send(
        fd, pipelined.data(), pipelined.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // Both of the API listener's probe workers stuck in a write: answers no
  // longer complete, two requests stay in flight.
  const std::string answered =
      "podpower_http_requests_total{endpoint=\"/metrics\",code=\"200\"}";
  double last = -1;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const double now = Metric(server_.metrics().Render(), answered);
    if (now == last && server_.metrics().in_flight() >= 2) break;
    last = now;
  }
  ASSERT_GE(server_.metrics().in_flight(), 2u) << "probe workers not held";
  const Timed probe = Get(server_.health_port(), "/healthz");
  EXPECT_EQ(probe.answer.rfind("HTTP/1.1 200", 0), 0u) << probe.answer;
  EXPECT_LT(probe.ms, 5000);  // generous: ~1 ms when free
}

}  // namespace
}  // namespace podpower::serve
