// A real server on loopback, real sockets: a client that closes its
// connection while its batch is being predicted has the batch abandoned
// (503 for nobody, counted as podpower_requests_abandoned_total{reason=
// "client_gone"}) and the worker is free again long before the batch would
// have ended; a client that only half-closes (shutdown(SHUT_WR)) after a
// complete request still reads its whole answer.
// An integration test (not in the ASan pass): it predicts with a 450,000-row
// model for seconds on purpose, which a sanitized Debug build multiplies.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "http/client.h"
#include "serve/server.h"
#include "serve/test_fixture.h"
#include "serve/test_socket.h"

namespace podpower::serve {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

using testing::Connect;
using testing::ReadUntilClosed;
using testing::Send;

std::string BatchRequest(const std::string& body, bool close) {
  return "POST /predict/batch HTTP/1.1\r\nHost: x\r\nContent-Type: "
         "application/x-ndjson\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" +
         (close ? "Connection: close\r\n" : "") + "\r\n" + body;
}

// The value of one series in a /metrics text; -1 when absent.
double Metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

const char kClientGone[] =
    "podpower_requests_abandoned_total{reason=\"client_gone\"}";

class ServerClientGoneTest : public ::testing::Test {
 protected:
  // 450,000 training rows (as in the SIGTERM test): a record costs
  // milliseconds to predict (brute-force neighbours), so a batch of
  // thousands takes many seconds. Written once for the suite (~seconds).
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    testing::WriteLargeArtifacts(dir_->path(), 450000);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ServerOptions options;
    options.artifacts = {dir_->File("encoder.ppenc"), dir_->File("model.ppknn"),
                         ""};
    options.watch_interval = std::chrono::milliseconds(0);
    options.max_body_bytes = 64 << 20;
    // One prediction worker: a follow-up request is answered only once the
    // batch has let the worker go (probes have their own workers).
    options.threads = 1;
    server_.Start(options);
    base_ = "http://127.0.0.1:" + std::to_string(server_.port());
  }
  void TearDown() override { server_.Stop(); }

  std::string Metrics() {
    http::Request r;
    r.url = base_ + "/metrics";
    r.timeout = std::chrono::seconds(10);
    return client_.Do(r).body;
  }

  // Seconds per record of /predict/batch on this machine now, from one
  // batch of `copies` x the 22 cluster-b records. Small batches overstate it
  // (22 records: 4.4 ms per record where 5,500 took 1.8 ms), so the
  // calibration for a large batch must be large too.
  double SecondsPerRecord(size_t copies) {
    const std::string body = testing::ManyRecordsNdjson(copies);
    const auto records = std::count(body.begin(), body.end(), '\n');
    const auto start = Clock::now();
    const auto r = testing::Post(client_, base_ + "/predict/batch", body,
                                 std::chrono::seconds(120));
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 200);
    return Seconds(Clock::now() - start) / static_cast<double>(records);
  }

  static testing::TempDir* dir_;
  Server server_;
  std::string base_;
  http::Client client_{http::ClientOptions{}};
};

testing::TempDir* ServerClientGoneTest::dir_ = nullptr;

TEST_F(ServerClientGoneTest,
       batch_of_a_client_that_closed_is_abandoned_and_frees_the_worker) {
  // 1,100 records (~2 s): within ~10% of a 5,500-record batch's rate.
  const double per_record = SecondsPerRecord(50);
  // 250 copies: 5,500 records, a 5 MB body parsed in ~0.5 s.
  const std::string body = testing::ManyRecordsNdjson(250);
  const auto records = std::count(body.begin(), body.end(), '\n');
  // What the predictions alone would take (parsing and writing not counted,
  // so the whole batch takes longer still).
  const double full_s = per_record * static_cast<double>(records);
  ASSERT_GT(full_s, 3.0) << "the batch is too quick to tell abandoning from "
                            "finishing: make it larger";
  EXPECT_EQ(Metric(Metrics(), kClientGone), 0);

  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(Send(fd, BatchRequest(body, false)));  // returns once buffered
  ::close(fd);
  const auto closed = Clock::now();

  // A single /predict on the only worker: answered once the batch gave it up.
  const std::string one = testing::ManyRecordsNdjson(1);
  const auto follow =
      testing::Post(client_, base_ + "/predict", one.substr(0, one.find('\n')),
                    std::chrono::seconds(120));
  const double follow_s = Seconds(Clock::now() - closed);
  EXPECT_EQ(follow.status, 200) << follow.body.substr(0, 200);

  const std::string metrics = Metrics();
  EXPECT_EQ(Metric(metrics, kClientGone), 1) << metrics;
  EXPECT_EQ(
      Metric(metrics, "podpower_requests_abandoned_total{reason=\"deadline\"}"),
      0);
  // The batch ran until the loop saw the close (the client's FIN, the probe,
  // the reset: sub-millisecond on loopback) plus one piece (~20 ms) after its
  // body was read and parsed (~0.5 s for 5 MB, with no checks), so the
  // follow-up comes back within about a second of the close. The bound is
  // half of what the predictions alone would have taken, measured on this
  // machine at this moment (> 3 s, asserted above; ~10 s idle): generous for
  // a loaded 2-core machine, and failing when the batch runs to its end
  // (checked by disabling the cancellation: the follow-up came 10.1 s after
  // the close, where the 22-record calibration had put the whole at 24 s).
  EXPECT_LT(follow_s, full_s / 2) << "the worker stayed busy with the batch";
  std::printf(
      "[ measured ] %lld-record batch (%.1f s of predictions at %.2f ms per "
      "record) abandoned; a /predict sent at the close answered %.3f s "
      "after it\n",
      static_cast<long long>(records), full_s, per_record * 1e3, follow_s);
}

TEST_F(ServerClientGoneTest, client_that_half_closes_still_gets_its_answer) {
  const double per_record = SecondsPerRecord(1);
  // Enough records that the FIN reaches the server while the batch is being
  // predicted (~0.1-1 s here), so the probe path runs.
  const std::string body = testing::ManyRecordsNdjson(10);
  const auto records = std::count(body.begin(), body.end(), '\n');
  const int fd = Connect(server_.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(Send(fd, BatchRequest(body, true)));
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);  // FIN: nothing more to send
  const auto sent = Clock::now();
  const std::string answer = ReadUntilClosed(fd, std::chrono::seconds(120));
  const double answered_s = Seconds(Clock::now() - sent);
  ::close(fd);

  // The interim "100 Continue" (the probe) may come first; then the answer.
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const bool probed = answer.rfind(interim, 0) == 0;
  const std::string final_answer =
      probed ? answer.substr(interim.size()) : answer;
  ASSERT_EQ(final_answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 300);
  const auto head_end = final_answer.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const std::string answer_body = final_answer.substr(head_end + 4);
  EXPECT_EQ(std::count(answer_body.begin(), answer_body.end(), '\n'), records);
  EXPECT_TRUE(probed) << "the FIN arrived after the answer was begun ("
                      << answered_s << " s): the probe path did not run";
  EXPECT_EQ(Metric(Metrics(), kClientGone), 0);
  std::printf(
      "[ measured ] %lld-record batch (%.2f ms per record) answered in full "
      "%.3f s after the client's shutdown(SHUT_WR); probed: %s\n",
      static_cast<long long>(records), per_record * 1e3, answered_s,
      probed ? "yes" : "no");
}

}  // namespace
}  // namespace podpower::serve
