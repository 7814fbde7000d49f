// Long ranges against a real Prometheus: 30 days at a 15 s step (172,801 grid
// points, 16 times Prometheus' 11,000-point cap) over two generated pods with
// 60 s samples.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "io/error.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

using testing::TestPrometheus;

class ThirtyDays : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestPrometheus("--days30"); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static prom::Client Client() {
    prom::ClientOptions o;
    o.url = server_->url();
    o.quiet = true;
    return prom::Client(o);
  }
  static const nlohmann::json& W() { return server_->expected()["D30"]; }
  static TestPrometheus* server_;
};

TestPrometheus* ThirtyDays::server_ = nullptr;

TEST_F(ThirtyDays,
       one_request_is_refused_but_chunked_range_query_returns_every_point) {
  prom::Client client = Client();
  const double start = W()["start"], end = W()["end"], step = W()["step"];
  const std::string query = "kepler_container_joules_total";
  prom::Chunk whole{start, end, prom::GridPoints(start, end, step)};
  try {
    client.Range(query, whole, step);
    FAIL() << "Prometheus accepted 172,801 points";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeded maximum resolution"),
              std::string::npos)
        << e.what();
  }
  std::map<std::string, int64_t> points;
  std::map<std::string, double> last_ts;
  int chunks = 0;
  prom::RangeChunked(client, query, start, end, step, nullptr,
                     [&](const prom::Chunk&, prom::QueryResult&& r) {
                       ++chunks;
                       for (const auto& s : r.series) {
                         const std::string& pod = s.Label("pod_name");
                         for (const auto& sample : s.samples) {
                           EXPECT_GT(sample.ts, last_ts[pod])
                               << "duplicate point";
                           last_ts[pod] = sample.ts;
                           ++points[pod];
                         }
                       }
                     });
  EXPECT_EQ(chunks, 16);
  // A grid point sees a series when a sample lies within the lookback before
  // it.
  int64_t visible = 0;
  const double lookback = W()["lookback"];
  for (const auto& window : W()["sample_windows"]) {
    double first = std::max(start, window[0].get<double>());
    double last = std::min(end, window[1].get<double>() + lookback);
    first = start + std::ceil((first - start) / step) * step;
    visible += prom::GridPoints(first, last, step);
  }
  for (const auto& p : W()["pods"]) {
    EXPECT_EQ(points[p["pod"]], visible) << p["pod"];
  }
}

TEST_F(ThirtyDays, chunked_and_unchunked_range_queries_agree_where_both_work) {
  prom::Client client = Client();
  const double start = W()["start"], step = W()["step"];
  const double end = start + 7200;  // 481 points: fits one request
  const std::string query =
      "sum by (pod_name) (increase(kepler_container_joules_total[5m]))";
  prom::Chunk whole{start, end, prom::GridPoints(start, end, step)};
  prom::QueryResult one = client.Range(query, whole, step);
  std::map<std::string, std::vector<prom::Sample>> chunked;
  int chunks = 0;
  prom::RangeChunked(
      client, query, start, end, step, [] { return int64_t{100}; },
      [&](const prom::Chunk&, prom::QueryResult&& r) {
        ++chunks;
        for (const auto& s : r.series) {
          auto& v = chunked[s.Label("pod_name")];
          v.insert(v.end(), s.samples.begin(), s.samples.end());
        }
      });
  EXPECT_EQ(chunks, 5);
  ASSERT_EQ(one.series.size(), 2u);
  for (const auto& s : one.series) {
    const auto& v = chunked[s.Label("pod_name")];
    ASSERT_EQ(v.size(), s.samples.size());
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(v[i].ts, s.samples[i].ts);
      EXPECT_EQ(v[i].value, s.samples[i].value);
    }
  }
}

TEST_F(ThirtyDays, labels_over_thirty_days_match_generated_joules) {
  LabelsOptions o;
  o.prom.url = server_->url();
  o.prom.quiet = true;
  o.start = W()["start"];
  o.end = W()["end"];
  o.step = W()["step"];
  o.mode = OutputMode::kJob;
  LabelsSummary summary;
  io::Table t = BuildLabels(o, &summary);
  EXPECT_GT(summary.chunks, 1);
  ASSERT_EQ(t.rows(), 2u);
  for (size_t r = 0; r < t.rows(); ++r) {
    for (const auto& p : W()["pods"]) {
      if (p["pod"] != t.Find("pod")->strings[r]) continue;
      double joules = p["energy_j"], watts = p["watts"];
      EXPECT_NEAR(t.Find("total_energy_j")->doubles[r], joules, 0.01 * joules);
      EXPECT_NEAR(t.Find("avg_power_w")->doubles[r], watts, 0.01 * watts);
    }
  }
  // The same range in small pieces gives the same totals.
  o.max_samples_per_chunk = 2000;
  LabelsSummary small;
  io::Table u = BuildLabels(o, &small);
  EXPECT_GT(small.chunks, summary.chunks + 10);
  ASSERT_EQ(u.rows(), t.rows());
  for (size_t r = 0; r < t.rows(); ++r) {
    EXPECT_NEAR(u.Find("total_energy_j")->doubles[r],
                t.Find("total_energy_j")->doubles[r], 1e-6);
  }
}

}  // namespace
}  // namespace podpower::labels
