// Short-lived pods' watts against a real Prometheus 2.42, both Kepler schemas,
// job and window mode. The OpenMetrics fixture is built here: pods that live
// 2, 5 and 30 steps (60 s step), scraped every 60 s (as the simulator writes
// them) or every 15 s (Kepler-like), starting on the step grid or inside a
// step, with their counter at 0 J at the first sample (Kepler's counters start
// with the container) or above 0 J (the pod started a few seconds before its
// first sample). Watts vary from interval to interval. The truth comes from
// the generating parameters: a pod's watts are its joules over the seconds it
// ran, a step's watts the joules drawn in it over the seconds the pod ran in
// it. Everything must hold to 0.5%; dividing by samples x interval (one
// interval too many) misses by 1/samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/parquet.h"
#include "io/table.h"
#include "io/testing.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

using testing::TestPrometheus;

constexpr double kStart = 1761840000;  // a multiple of 60
constexpr double kEnd = kStart + 3600;
constexpr double kStep = 60;
constexpr double kLead = 600;  // long-lived pods' data start before kStart
constexpr double kTolerance = 0.005;

// The step (g - step, g] a sample at `t` > kStart belongs to: its end g.
double StepOf(double t) {
  return kStart + std::ceil((t - kStart) / kStep) * kStep;
}

// numpy.percentile's default (linear), as job mode's p95_power_w.
double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

struct StepTruth {
  double joules = 0;
  double seconds = 0;
};

// One generated pod.
struct Pod {
  std::string name;
  double scrape = 60;  // seconds between samples
  double first = 0;    // first sample
  int steps = 0;       // lives steps x 60 s after its first sample
  double lead = 0;     // seconds it ran before its first sample (0: 0 J there)
  double flat = 0;     // Kepler 0.7: the dead counter stays flat this long
  bool terminated_twin = false;  // rewrite: last sample as state="terminated"
  double base_watts = 3;
  double phase = 0;

  int Intervals() const {
    return static_cast<int>(std::lround(steps * kStep / scrape));
  }
  double Last() const { return first + steps * kStep; }
  // Watts over the k-th interval (first + (k-1)*scrape, first + k*scrape];
  // the lead before the first sample runs at interval 1's watts.
  double Watts(int k) const {
    return base_watts * (1 + 0.3 * std::sin(1.3 * std::max(k, 1) + phase));
  }
  // Cumulative joules at sample k (k = 0 is the first sample).
  double Counter(int k) const {
    double j = lead * Watts(1);
    for (int i = 1; i <= std::min(k, Intervals()); ++i) j += Watts(i) * scrape;
    return j;
  }
  double Joules() const { return Counter(Intervals()); }
  double TrueWatts() const { return Joules() / (steps * kStep + lead); }
  // Joules and seconds per step end, the flat tail included (0 J).
  std::map<double, StepTruth> Steps() const {
    std::map<double, StepTruth> out;
    out[StepOf(first)] = {lead * Watts(1), lead};
    for (int k = 1; k <= Intervals(); ++k) {
      StepTruth& s = out[StepOf(first + k * scrape)];
      s.joules += Watts(k) * scrape;
      s.seconds += scrape;
    }
    for (double t = Last() + scrape; t <= Last() + flat + 1e-9; t += scrape) {
      out[StepOf(t)].seconds += scrape;
    }
    return out;
  }
  // Sample times and counter values, the flat tail included.
  std::vector<std::pair<double, double>> Samples() const {
    std::vector<std::pair<double, double>> out;
    for (int k = 0; k <= Intervals(); ++k)
      out.push_back({first + k * scrape, Counter(k)});
    for (double t = Last() + scrape; t <= Last() + flat + 1e-9; t += scrape)
      out.push_back({t, Joules()});
    return out;
  }
};

// Short-lived pods of one schema; names end in `suffix`.
std::vector<Pod> MakeShortPods(const std::string& suffix, double phase) {
  const double g = kStart + 600;  // on the step grid
  std::vector<Pod> pods = {
      // Scraped once per step, starting on the grid at 0 J: the simulator's
      // pods (issue: 6 samples read 2.45 W for a true 2.94 W).
      {"s60-l2", 60, g, 2},
      {"s60-l5", 60, g + 300, 5},
      {"s60-l30", 60, g + 600, 30},
      // Kepler-like 15 s samples, starting inside a step or on the grid.
      {"s15-l2-mid", 15, g + 30, 2},
      {"s15-l5", 15, g + 120, 5},
      {"s15-l30-mid", 15, g + 15, 30},
      // Started before the first sample: the counter is above 0 J there.
      {"s60-l5-lead", 60, g + 900, 5, 40},
      {"s15-l2-lead", 15, g + 45, 2, 10},
      {"s15-l30-lead", 15, g + 75, 30, 7},
  };
  for (size_t i = 0; i < pods.size(); ++i) {
    pods[i].name += suffix;
    pods[i].base_watts = 1.5 + 0.7 * static_cast<double>(i);
    pods[i].phase = phase + 0.9 * static_cast<double>(i);
  }
  return pods;
}

// Long-lived pods (from before the range, 15 s samples) so the typical
// sample interval is Kepler's 15 s, as in a real cluster.
std::vector<Pod> LongPods(const std::string& suffix) {
  std::vector<Pod> pods;
  for (int i = 0; i < 4; ++i) {
    Pod p{"long-" + std::to_string(i) + suffix, 15, kStart - kLead,
          static_cast<int>((kEnd - kStart + kLead) / kStep)};
    p.lead = 15;  // running long before: the counter is well above 0
    p.base_watts = 10 + i;
    p.phase = i;
    pods.push_back(p);
  }
  return pods;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Fixture {
  std::vector<Pod> v07, v010;
  std::string openmetrics;
};

// Single-sample pods, both schemas: one at 0 J, one at 45 J.
constexpr double kSingleAt = kStart + 1800;
constexpr double kSingleJoules = 45;

Fixture MakeFixture() {
  Fixture f;
  f.v07 = MakeShortPods("-07", 0);
  f.v07[1].flat = 300;  // a finished 0.7 container stays visible, flat
  f.v010 = MakeShortPods("-10", 0.4);
  f.v010[1].terminated_twin = true;
  f.v010[4].terminated_twin = true;
  for (auto& p : LongPods("-07")) f.v07.push_back(p);
  for (auto& p : LongPods("-10")) f.v010.push_back(p);

  std::string om07, om10;
  auto line = [](std::string* om, const std::string& labels, double t, double v,
                 const char* metric) {
    *om += metric;
    *om += "{" + labels + "} " + Num(v) + " " + Num(t) + "\n";
  };
  // Kepler 0.7: per container; two containers split the pod 70/30.
  for (const Pod& p : f.v07) {
    for (const auto& [container, share] :
         std::vector<std::pair<std::string, double>>{{"main", 0.7},
                                                     {"sidecar", 0.3}}) {
      const std::string labels =
          "container_id=\"c-" + p.name + "-" + container +
          "\",container_name=\"" + container +
          "\",container_namespace=\"batch\",mode=\"dynamic\",pod_name=\"" +
          p.name + "\"";
      for (const auto& [t, v] : p.Samples())
        line(&om07, labels, t, v * share, "kepler_container_joules_total");
    }
  }
  // Kepler 0.10: per pod, zones package (read) and dram (ignored).
  for (const Pod& p : f.v010) {
    for (const auto& [zone, scale] :
         std::vector<std::pair<std::string, double>>{{"package", 1.0},
                                                     {"dram", 0.3}}) {
      const std::string base = "node_name=\"node-1\",pod_id=\"u-" + p.name +
                               "\",pod_name=\"" + p.name +
                               "\",pod_namespace=\"batch\",";
      auto samples = p.Samples();
      if (p.terminated_twin) {
        line(&om10, base + "state=\"terminated\",zone=\"" + zone + "\"",
             samples.back().first, samples.back().second * scale,
             "kepler_pod_cpu_joules_total");
        samples.pop_back();
      }
      for (const auto& [t, v] : samples) {
        line(&om10, base + "state=\"running\",zone=\"" + zone + "\"", t,
             v * scale, "kepler_pod_cpu_joules_total");
      }
    }
  }
  for (const auto& [name, joules] : std::vector<std::pair<std::string, double>>{
           {"single-zero", 0}, {"single-some", kSingleJoules}}) {
    line(&om07,
         "container_id=\"c-" + name +
             "\",container_name=\"main\",container_namespace=\"batch\","
             "mode=\"dynamic\",pod_name=\"" +
             name + "-07\"",
         kSingleAt, joules, "kepler_container_joules_total");
    line(&om10,
         "node_name=\"node-1\",pod_id=\"u-" + name + "\",pod_name=\"" + name +
             "-10\",pod_namespace=\"batch\",state=\"running\",zone=\"package\"",
         kSingleAt, joules, "kepler_pod_cpu_joules_total");
  }
  f.openmetrics = om07 + om10 + "# EOF\n";
  return f;
}

class ShortPods : public ::testing::TestWithParam<KeplerSchema> {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new Fixture(MakeFixture());
    server_ = new TestPrometheus("", fixture_->openmetrics);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete fixture_;
    fixture_ = nullptr;
  }

  static LabelsOptions Options(OutputMode mode) {
    LabelsOptions o;
    o.prom.url = server_->url();
    o.prom.quiet = true;
    o.start = kStart;
    o.end = kEnd;
    o.step = kStep;
    o.mode = mode;
    o.schema = GetParam();
    return o;
  }
  static const std::vector<Pod>& Pods() {
    return GetParam() == KeplerSchema::kV07 ? fixture_->v07 : fixture_->v010;
  }
  static std::string Suffix() {
    return GetParam() == KeplerSchema::kV07 ? "-07" : "-10";
  }
  static const io::Column& Col(const io::Table& t, const char* name) {
    const io::Column* c = t.Find(name);
    if (c == nullptr)
      throw std::runtime_error(std::string("no column ") + name);
    return *c;
  }
  static std::map<std::string, size_t> ByPod(const io::Table& t) {
    std::map<std::string, size_t> out;
    const auto& pod = Col(t, "pod");
    for (size_t r = 0; r < t.rows(); ++r) out[pod.strings[r]] = r;
    return out;
  }
  // Within 0.5% of `truth`.
  static void ExpectClose(const io::Column& c, size_t r, double truth,
                          const std::string& what) {
    ASSERT_FALSE(c.is_null(r)) << what << " is null";
    EXPECT_NEAR(c.doubles[r], truth, kTolerance * std::fabs(truth) + 1e-9)
        << what << ": got " << c.doubles[r] << ", truth " << truth << " ("
        << 100 * (c.doubles[r] / truth - 1) << "%)";
  }

  // Job mode: every generated pod's watts, p95, joules, first/last seen and
  // samples.
  static void CheckJob(const io::Table& t, bool zero_start_only) {
    auto rows = ByPod(t);
    for (const Pod& p : Pods()) {
      if (zero_start_only && p.lead > 0) continue;
      SCOPED_TRACE(p.name);
      ASSERT_TRUE(rows.count(p.name)) << "missing pod";
      const size_t r = rows[p.name];
      const bool long_lived = p.first < kStart;
      // Long-lived pods: the range's joules and watts only.
      double joules = 0, seconds = 0;
      std::vector<double> step_watts;
      double last_positive = 0;
      int64_t samples = 0;
      for (const auto& [ts, s] : p.Steps()) {
        if (ts <= kStart || ts > kEnd || s.seconds == 0) continue;
        if (s.joules > 0) last_positive = ts;
      }
      for (const auto& [ts, s] : p.Steps()) {
        if (ts <= kStart || ts > last_positive || s.seconds == 0) continue;
        joules += s.joules;
        seconds += s.seconds;
        step_watts.push_back(s.joules / s.seconds);
        ++samples;
      }
      if (!long_lived) {
        ASSERT_NEAR(joules, p.Joules(), 1e-6);
        ASSERT_NEAR(joules / seconds, p.TrueWatts(), 1e-9);
      }
      ExpectClose(Col(t, "avg_power_w"), r, joules / seconds, "avg_power_w");
      ExpectClose(Col(t, "p95_power_w"), r, Percentile(step_watts, 95),
                  "p95_power_w");
      ExpectClose(Col(t, "total_energy_j"), r, joules, "total_energy_j");
      if (!long_lived) {
        EXPECT_EQ(Col(t, "first_seen").doubles[r], StepOf(p.first));
        EXPECT_EQ(Col(t, "last_seen").doubles[r], StepOf(p.Last()));
        EXPECT_EQ(Col(t, "samples").ints[r], samples)
            << "steps with energy: the first sample's step only when it "
               "holds joules";
      }
    }
  }

  static Fixture* fixture_;
  static TestPrometheus* server_;
};

Fixture* ShortPods::fixture_ = nullptr;
TestPrometheus* ShortPods::server_ = nullptr;

TEST_P(ShortPods, job_mode_watts_are_joules_over_the_seconds_run) {
  LabelsSummary summary;
  const io::Table t = BuildLabels(Options(OutputMode::kJob), &summary);
  EXPECT_EQ(summary.schema, GetParam());
  EXPECT_EQ(t.rows(), Pods().size() + 2) << "the pods and two single samples";
  CheckJob(t, false);
}

TEST_P(ShortPods, window_mode_step_watts_are_the_steps_true_watts) {
  const io::Table t = BuildLabels(Options(OutputMode::kWindow), nullptr);
  const auto& ts = Col(t, "ts");
  const auto& pod = Col(t, "pod");
  const auto& energy = Col(t, "energy_step_j");
  const auto& power = Col(t, "avg_power_w");
  std::map<std::string, std::map<double, size_t>> rows;
  for (size_t r = 0; r < t.rows(); ++r) rows[pod.strings[r]][ts.doubles[r]] = r;
  size_t checked = 0;
  for (const Pod& p : Pods()) {
    SCOPED_TRACE(p.name);
    std::map<double, StepTruth> truth;
    for (const auto& [g, s] : p.Steps()) {
      if (g >= kStart && g <= kEnd) truth[g] = s;
    }
    auto& got = rows[p.name];
    for (const auto& [g, s] : truth) {
      SCOPED_TRACE(g - kStart);
      ASSERT_TRUE(got.count(g)) << "no row";
      const size_t r = got[g];
      if (g == kStart || s.seconds == 0) {
        // The range start, or a step holding only the pod's first sample at
        // 0 J: a baseline, no joules, no watts (not 0 W).
        EXPECT_TRUE(energy.is_null(r)) << energy.doubles[r] << " J";
        EXPECT_TRUE(power.is_null(r)) << power.doubles[r] << " W";
        continue;
      }
      ExpectClose(energy, r, s.joules, "energy_step_j");
      ExpectClose(power, r, s.joules / s.seconds, "avg_power_w");
      ++checked;
    }
    EXPECT_EQ(got.size(), truth.size()) << "rows";
    if (p.first > kStart) {
      // The pod's watts from its rows: the steps' joules over their seconds.
      double joules = 0, seconds = 0;
      for (const auto& [g, r] : got) {
        if (energy.is_null(r) || energy.doubles[r] <= 0) continue;
        joules += energy.doubles[r];
        seconds += energy.doubles[r] / power.doubles[r];
      }
      EXPECT_NEAR(joules / seconds, p.TrueWatts(), kTolerance * p.TrueWatts());
    }
  }
  EXPECT_GT(checked, 200u);
}

TEST_P(ShortPods, a_pod_seen_at_a_single_sample) {
  const std::string zero = "single-zero" + Suffix();
  const std::string some = "single-some" + Suffix();
  const io::Table job = BuildLabels(Options(OutputMode::kJob), nullptr);
  auto rows = ByPod(job);
  ASSERT_TRUE(rows.count(zero));
  ASSERT_TRUE(rows.count(some));
  // At 0 J: seen, but no interval was observed, so no joules and no watts.
  size_t r = rows[zero];
  EXPECT_TRUE(Col(job, "avg_power_w").is_null(r));
  EXPECT_TRUE(Col(job, "p95_power_w").is_null(r));
  EXPECT_TRUE(Col(job, "total_energy_j").is_null(r));
  EXPECT_EQ(Col(job, "samples").ints[r], 0);
  EXPECT_EQ(Col(job, "first_seen").doubles[r], kSingleAt);
  EXPECT_EQ(Col(job, "last_seen").doubles[r], kSingleAt);
  // Above 0 J: its joules, over one typical sample interval (15 s here): the
  // lowest watts it can have drawn, since the scrape before did not see it.
  r = rows[some];
  ExpectClose(Col(job, "total_energy_j"), r, kSingleJoules, "total_energy_j");
  ExpectClose(Col(job, "avg_power_w"), r, kSingleJoules / 15, "avg_power_w");
  EXPECT_EQ(Col(job, "samples").ints[r], 1);

  // Window mode, through the streaming Parquet writer.
  const std::string dir = podpower::testing::MakeTempDir("labels-single");
  LabelsOptions o = Options(OutputMode::kWindow);
  o.out = dir + "/labels.parquet";
  RunLabels(o);
  const io::Table window = io::ReadParquet(o.out);
  std::filesystem::remove_all(dir);
  const auto& pod = Col(window, "pod");
  int zero_rows = 0, some_rows = 0;
  for (size_t i = 0; i < window.rows(); ++i) {
    if (pod.strings[i] == some) {
      ++some_rows;
      ExpectClose(Col(window, "energy_step_j"), i, kSingleJoules,
                  "window energy_step_j");
      ExpectClose(Col(window, "avg_power_w"), i, kSingleJoules / 15,
                  "window avg_power_w");
    }
    if (pod.strings[i] != zero) continue;
    ++zero_rows;
    EXPECT_EQ(Col(window, "ts").doubles[i], kSingleAt);
    EXPECT_TRUE(Col(window, "energy_step_j").is_null(i));
    EXPECT_TRUE(Col(window, "avg_power_w").is_null(i));
  }
  EXPECT_EQ(zero_rows, 1);
  EXPECT_EQ(some_rows, 1);
}

TEST_P(ShortPods, small_pieces_give_the_same_watts) {
  // Piece edges fall between a 0 J first sample and the next one. (A first
  // sample above 0 J at a piece's very end has no next sample to go back
  // with: one typical interval, documented; those pods are left out here.)
  LabelsOptions o = Options(OutputMode::kJob);
  o.max_samples_per_chunk = 100;
  LabelsSummary summary;
  const io::Table t = BuildLabels(o, &summary);
  EXPECT_GT(summary.chunks, 8);
  CheckJob(t, true);
}

INSTANTIATE_TEST_SUITE_P(
    Kepler, ShortPods,
    ::testing::Values(KeplerSchema::kV07, KeplerSchema::kV010),
    [](const ::testing::TestParamInfo<KeplerSchema>& info) {
      return info.param == KeplerSchema::kV07 ? std::string("v0_7")
                                              : std::string("v0_10");
    });

}  // namespace
}  // namespace podpower::labels
