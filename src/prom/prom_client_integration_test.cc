// prom::Client against a hand-written fake HTTP server (cpp-httplib) for the
// faults a real Prometheus cannot be made to produce on demand: 503/429 then
// recovery, a proxy's HTML page, a truncated body, a server slower than
// --timeout. It also records what the client sent (auth headers, GET vs POST,
// chunk parameters). 400/422 from the real Prometheus are tested in
// src/labels/labels_integration_test.cc.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "io/error.h"
#include "prom/client.h"

namespace podpower::prom {
namespace {

constexpr const char* kOk =
    R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1,"2"]}]}})";

class FakeServer {
 public:
  explicit FakeServer(httplib::Server::Handler handler) {
    server_.Get("/api/v1/query", handler);
    server_.Post("/api/v1/query", handler);
    server_.Get("/api/v1/query_range", handler);
    server_.Post("/api/v1/query_range", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

ClientOptions Fast(const std::string& url) {
  ClientOptions o;
  o.url = url;
  o.backoff_s = 0.01;
  o.max_attempts = 4;
  o.quiet = true;
  return o;
}

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PromClient, retries_503_and_429_then_succeeds) {
  std::atomic<int> calls{0};
  FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    int n = ++calls;
    if (n == 1) {
      res.status = 503;
      res.set_content(
          R"({"status":"error","errorType":"timeout","error":"query timed out"})",
          "application/json");
    } else if (n == 2) {
      res.status = 429;
      res.set_content("slow down", "text/plain");
    } else {
      res.set_content(kOk, "application/json");
    }
  });
  Client client(Fast(server.url()));
  QueryResult r = client.Instant("up");
  EXPECT_EQ(calls.load(), 3);
  ASSERT_EQ(r.series.size(), 1u);
  EXPECT_EQ(r.series[0].Label("a"), "b");
}

TEST(PromClient, persistent_503_gives_prometheus_error_verbatim_after_retries) {
  std::atomic<int> calls{0};
  FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 503;
    res.set_content(
        R"({"status":"error","errorType":"timeout","error":"query timed out in query execution"})",
        "application/json");
  });
  std::string m = Message([&] { Client(Fast(server.url())).Instant("up"); });
  EXPECT_EQ(calls.load(), 4);
  EXPECT_NE(m.find("HTTP 503 timeout: query timed out in query execution"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("gave up after 4 attempts"), std::string::npos) << m;
}

TEST(PromClient, proxy_html_and_truncated_json_are_one_line_errors) {
  FakeServer html([&](const httplib::Request&, httplib::Response& res) {
    res.status = 502;
    res.set_content("<html><body>\n<h1>502 Bad Gateway</h1></body></html>",
                    "text/html");
  });
  std::string m = Message([&] { Client(Fast(html.url())).Instant("up"); });
  EXPECT_NE(m.find("HTTP 502 <html><body>"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);

  FakeServer truncated([&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kOk).substr(0, 60), "application/json");
  });
  m = Message([&] { Client(Fast(truncated.url())).Instant("up"); });
  EXPECT_NE(m.find("malformed response"), std::string::npos) << m;
}

TEST(PromClient, bad_request_is_not_retried) {
  std::atomic<int> calls{0};
  FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
    res.set_content(
        R"({"status":"error","errorType":"bad_data","error":"parse error"})",
        "application/json");
  });
  std::string m = Message([&] { Client(Fast(server.url())).Instant("sum("); });
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(m.find("HTTP 400 bad_data: parse error"), std::string::npos) << m;
}

TEST(PromClient, slow_server_times_out_retries_and_explains) {
  FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content(kOk, "application/json");
  });
  ClientOptions o = Fast(server.url());
  o.timeout_s = 0.2;
  o.max_attempts = 2;
  auto t0 = std::chrono::steady_clock::now();
  std::string m = Message([&] { Client(o).Instant("up"); });
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_NE(m.find("gave up after 2 attempts"), std::string::npos) << m;
  EXPECT_NE(m.find("imeout"), std::string::npos)
      << "curl names the timeout: " << m;
  EXPECT_LT(seconds, 1.4) << "the timeout was not applied";
}

TEST(PromClient, sends_credentials_and_headers_but_never_prints_the_token) {
  std::mutex mu;
  std::string auth, tenant;
  FakeServer server([&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    auth = req.get_header_value("Authorization");
    tenant = req.get_header_value("X-Scope-OrgID");
    res.status = 403;
    res.set_content("forbidden", "text/plain");
  });
  char path[] = "/tmp/podpower-token-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "s3cr3t-token\n";
  ClientOptions o = Fast(server.url());
  o.bearer_token_file = path;
  o.headers = {{"X-Scope-OrgID", "team-a"}};
  std::string m = Message([&] { Client(o).Instant("up"); });
  std::remove(path);
  EXPECT_EQ(auth, "Bearer s3cr3t-token");
  EXPECT_EQ(tenant, "team-a");
  EXPECT_NE(m.find("HTTP 403"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cr3t"), std::string::npos) << m;

  o.bearer_token_file.clear();
  o.username = "alice";
  o.password = "pw";
  Message([&] { Client(o).Instant("up"); });
  EXPECT_EQ(auth, "Basic YWxpY2U6cHc=");  // base64("alice:pw")
}

TEST(PromClient, long_queries_go_as_post_forms) {
  std::mutex mu;
  std::string method, query;
  FakeServer server([&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    method = req.method;
    query = req.get_param_value("query");
    res.set_content(kOk, "application/json");
  });
  Client client(Fast(server.url()));
  client.Instant("up");
  EXPECT_EQ(method, "GET");
  std::string long_query = "up{job=~\"" + std::string(5000, 'a') + "\"}";
  client.Instant(long_query);
  EXPECT_EQ(method, "POST");
  EXPECT_EQ(query, long_query);
}

TEST(PromClient, warnings_are_printed_on_stderr) {
  FakeServer server([&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"status":"success","warnings":["results truncated due to limit"],"data":{"resultType":"vector","result":[]}})",
        "application/json");
  });
  ClientOptions o = Fast(server.url());
  o.quiet = false;
  ::testing::internal::CaptureStderr();
  Client(o).Instant("up");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("prometheus warning: results truncated due to limit"),
            std::string::npos)
      << err;
}

TEST(RangeChunked, thirty_days_at_15s_asks_contiguous_chunks_under_the_cap) {
  std::mutex mu;
  std::vector<std::tuple<double, double, double>> asked;
  FakeServer server([&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    asked.emplace_back(std::stod(req.get_param_value("start")),
                       std::stod(req.get_param_value("end")),
                       std::stod(req.get_param_value("step")));
    res.set_content(
        R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
        "application/json");
  });
  Client client(Fast(server.url()));
  const double start = 1761840000, end = start + 30 * 86400, step = 15;
  int64_t points = 0;
  RangeChunked(client, "up", start, end, step, nullptr,
               [&](const Chunk& c, QueryResult&&) { points += c.points; });
  ASSERT_GT(asked.size(), 1u);
  EXPECT_EQ(points, 30 * 86400 / 15 + 1);
  for (size_t i = 0; i < asked.size(); ++i) {
    auto [s, e, st] = asked[i];
    EXPECT_EQ(st, step);
    EXPECT_LE((e - s) / st, 11000) << "Prometheus would answer 400";
    if (i > 0) {
      EXPECT_EQ(s, std::get<1>(asked[i - 1]) + step)
          << "gap or duplicate at chunk " << i;
    }
  }
  EXPECT_EQ(std::get<0>(asked.front()), start);
  EXPECT_EQ(std::get<1>(asked.back()), end);
}

}  // namespace
}  // namespace podpower::prom
