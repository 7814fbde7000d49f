// simulate: the specs parse back, the OpenMetrics follows promtool's rules,
// the counters integrate to the stated true energy, and a seed reproduces.
#include "simulate/simulate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "io/error.h"
#include "io/inference_request.h"
#include "model/oracle_test_util.h"
#include "simulate/truth.h"

namespace podpower::simulate {
namespace {

using model::testing::ReadText;
using model::testing::TempDir;

SimulateOptions Small(const std::string& dir) {
  SimulateOptions o;
  o.workloads = 40;
  o.hours = 3;
  o.seed = 7;
  o.out_dir = dir;
  o.start = 1764000000;  // fixed so files compare byte for byte
  return o;
}

TEST(Simulate, specs_round_trip_and_cover_every_kind) {
  TempDir dir;
  std::ostringstream log;
  const Simulation sim = Simulate(Small(dir / "out"), log);
  const auto read =
      io::ReadInferenceRequests(dir / "out/inference_requests.ndjson");
  ASSERT_EQ(read.records.size(), 40u);
  std::set<std::string> kinds;
  bool gpu = false;
  for (size_t i = 0; i < read.records.size(); ++i) {
    EXPECT_EQ(io::SpecHash(read.records[i]), io::SpecHash(sim.requests[i]));
    kinds.insert(read.records[i].workload_kind);
    gpu |= read.records[i].gpu_count > 0;
    EXPECT_TRUE(std::filesystem::exists(
        dir / ("out/manifests/" + read.records[i].namespace_ + "." +
               read.records[i].workload_name + ".yaml")));
  }
  for (const char* k : {"Deployment", "StatefulSet", "Job", "CronJob"})
    EXPECT_TRUE(kinds.count(k)) << k;
  EXPECT_TRUE(gpu) << "40 workloads should include a GPU one";
}

// Parses kepler.om back: every line is a comment, a sample with a timestamp,
// or the final # EOF; per series timestamps increase; the container counters
// of a pod sum to the truth file's energy.
TEST(Simulate, openmetrics_is_backfillable_and_matches_truth) {
  TempDir dir;
  std::ostringstream log;
  const Simulation sim = Simulate(Small(dir / "out"), log);
  std::istringstream om(ReadText(dir / "out/kepler.om"));
  std::map<std::string, double> last_ts;
  std::map<std::string, double> last_value;
  std::string line, prev;
  size_t samples = 0;
  while (std::getline(om, line)) {
    ASSERT_FALSE(line.empty()) << "blank line after: " << prev;
    prev = line;
    if (line[0] == '#') continue;
    const size_t close = line.rfind('}');
    ASSERT_NE(close, std::string::npos) << line;
    const std::string series = line.substr(0, close + 1);
    std::istringstream rest(line.substr(close + 1));
    double value = NAN, ts = NAN;
    rest >> value >> ts;
    ASSERT_TRUE(std::isfinite(value) && std::isfinite(ts)) << line;
    ASSERT_GT(ts, 1e9) << "timestamps are seconds";
    if (last_ts.count(series)) {
      ASSERT_GT(ts, last_ts[series]) << line;
    }
    last_ts[series] = ts;
    if (series.rfind("kepler_container_joules_total", 0) == 0) {
      ASSERT_GE(value, last_value[series]) << "counters never decrease";
      last_value[series] = value;
    }
    ++samples;
  }
  EXPECT_EQ(prev, "# EOF");
  EXPECT_GT(samples, 1000u);
  // Last counter value per pod = its true energy.
  std::map<std::string, double> pod_energy;
  for (const auto& [series, value] : last_value) {
    const size_t a = series.find("pod_name=\"") + 10;
    pod_energy[series.substr(a, series.find('"', a) - a)] += value;
  }
  ASSERT_EQ(pod_energy.size(), sim.pods.size());
  for (const auto& p : sim.pods) {
    EXPECT_NEAR(pod_energy[p.pod], p.energy_j, 1e-3 * 4 + 1e-9 * p.energy_j)
        << p.pod;
    EXPECT_GT(p.mean_watts(), 0) << p.pod;
  }
}

TEST(Simulate, same_seed_same_files_other_seed_other_files) {
  TempDir dir;
  std::ostringstream log;
  Simulate(Small(dir / "a"), log);
  Simulate(Small(dir / "b"), log);
  auto other = Small(dir / "c");
  other.seed = 8;
  Simulate(other, log);
  for (const char* f :
       {"kepler.om", "inference_requests.ndjson", "truth_pods.csv"}) {
    EXPECT_EQ(ReadText(dir / (std::string("a/") + f)),
              ReadText(dir / (std::string("b/") + f)))
        << f;
  }
  EXPECT_NE(ReadText(dir / "a/kepler.om"), ReadText(dir / "c/kepler.om"));
}

TEST(Simulate, v010_schema_writes_pod_counters_with_uids) {
  TempDir dir;
  auto o = Small(dir / "out");
  o.kepler_schema = "v0.10";
  std::ostringstream log;
  Simulate(o, log);
  const std::string om = ReadText(dir / "out/kepler.om");
  EXPECT_NE(om.find("kepler_pod_cpu_joules_total{node_name="),
            std::string::npos);
  EXPECT_EQ(om.find("kepler_container_joules_total"), std::string::npos);
  EXPECT_NE(om.find("kube_pod_owner{"), std::string::npos);
}

TEST(Simulate, bad_options_are_one_line_errors) {
  TempDir dir;
  std::ostringstream log;
  auto o = Small(dir / "out");
  o.workloads = 0;
  EXPECT_THROW(Simulate(o, log), Error);
  o = Small(dir / "out");
  o.kepler_schema = "v2";
  try {
    Simulate(o, log);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--kepler-schema"), std::string::npos);
  }
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    o = Small(dir / "out");
    o.request_coupling = bad;
    try {
      Simulate(o, log);
      FAIL() << "no error for coupling " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(
                    "--request-coupling: expected a number in [0, 1], got", 0),
                0u)
          << e.what();
    }
    o = Small(dir / "out");
    o.no_request_share = bad;
    try {
      Simulate(o, log);
      FAIL() << "no error for share " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(
                    "--no-request-share: expected a number in [0, 1], got", 0),
                0u)
          << e.what();
    }
  }
}

// Workloads whose pods carry no requests: about the asked share, with no CPU
// or memory requests or limits in the spec or the manifest, and still
// drawing power.
TEST(Simulate, no_request_workloads_have_no_resources_but_draw_power) {
  TempDir dir;
  auto o = Small(dir / "out");
  o.workloads = 300;
  o.no_request_share = 0.2;
  std::ostringstream log;
  const Simulation sim = Simulate(o, log);
  std::set<std::string> bare;
  for (const auto& r : sim.requests) {
    bool none = true, all = true;
    for (const auto& c : r.containers) {
      const bool empty = !c.req_cpu_mcpu && !c.req_mem_mib && !c.lim_cpu_mcpu &&
                         !c.lim_mem_mib;
      none &= empty;
      all &= c.req_cpu_mcpu && c.req_mem_mib;
    }
    EXPECT_TRUE(none || all) << r.workload_name << ": all or nothing";
    if (!none) continue;
    bare.insert(r.workload_name);
    const std::string yaml = ReadText(dir / ("out/manifests/" + r.namespace_ +
                                             "." + r.workload_name + ".yaml"));
    EXPECT_EQ(yaml.find("requests:"), std::string::npos) << r.workload_name;
    EXPECT_EQ(yaml.find("cpu:"), std::string::npos) << r.workload_name;
    EXPECT_EQ(yaml.find("resources:") != std::string::npos, r.gpu_count > 0)
        << r.workload_name << ": only a GPU limit remains";
  }
  // Binomial(300, 0.2): mean 60, sd 6.9; +-4 sd.
  EXPECT_GT(bare.size(), 32u);
  EXPECT_LT(bare.size(), 88u);
  for (const auto& p : sim.pods)
    if (bare.count(p.workload_name)) {
      EXPECT_GT(p.mean_watts(), 0) << p.pod;
    }
}

// The no-request choice and the hidden core counts come from their own
// generator: at coupling 1, the workloads that keep their requests get the
// same specs and the same pods, names and watts with and without it.
TEST(Simulate, no_request_share_leaves_the_other_workloads_unchanged) {
  TempDir dir;
  std::ostringstream log;
  auto a = Small(dir / "a");
  a.no_request_share = 0;
  auto b = Small(dir / "b");
  b.no_request_share = 0.5;
  const Simulation with = Simulate(a, log), without = Simulate(b, log);
  ASSERT_EQ(with.requests.size(), without.requests.size());
  std::set<std::string> changed;
  for (size_t i = 0; i < with.requests.size(); ++i) {
    if (io::SpecHash(with.requests[i]) != io::SpecHash(without.requests[i]))
      changed.insert(with.requests[i].workload_name);
  }
  EXPECT_GT(changed.size(), 5u);
  EXPECT_LT(changed.size(), 35u);
  ASSERT_EQ(with.pods.size(), without.pods.size());
  for (size_t i = 0; i < with.pods.size(); ++i) {
    EXPECT_EQ(with.pods[i].pod, without.pods[i].pod);
    if (changed.count(with.pods[i].workload_name)) continue;
    // Exact: the same arithmetic on the same draws.
    EXPECT_EQ(with.pods[i].energy_j, without.pods[i].energy_j)
        << with.pods[i].pod;
  }
}

// At coupling 0 the request says nothing: every workload of a family gets the
// same oracle, whatever its request (or its lack of one); at coupling 1 it
// differs with the request.
TEST(Simulate, coupling_zero_makes_the_oracle_ignore_the_request) {
  TempDir dir;
  std::ostringstream log;
  for (double coupling : {0.0, 1.0}) {
    auto o = Small(dir / fmt::format("c{}", coupling));
    o.workloads = 120;
    o.request_coupling = coupling;
    const Simulation sim = Simulate(o, log);
    ASSERT_EQ(sim.oracle_watts.size(), sim.requests.size());
    // All workloads share the window, so diurnal ones agree too.
    std::map<std::string, std::set<double>> per_family;
    for (size_t i = 0; i < sim.requests.size(); ++i) {
      per_family[sim.families[i]].insert(sim.oracle_watts[i]);
      EXPECT_GT(sim.oracle_watts[i], 0);
      EXPECT_EQ(sim.oracle_label_watts[i], sim.oracle_watts[i])
          << "v0.7 labels see the GPU too";
    }
    size_t varying = 0;
    for (const auto& [family, values] : per_family)
      varying += values.size() > 1;
    if (coupling == 0) {
      EXPECT_EQ(varying, 0u);
    } else {
      EXPECT_GT(varying, 0u);
    }
  }
}

// The oracle is the expectation of a workload's true mean watts per pod:
// over many workloads the truth minus the oracle averages to 0 within 4
// standard errors (overall and per utilisation pattern; a correct oracle
// fails one such check with probability < 1e-4), and the oracle's MAE beats
// the best constant predictor (the median). For the couplings the acceptance
// runs use, and with the v0.10 schema the label oracle leaves the GPU out.
TEST(Simulate, oracle_is_the_expected_truth) {
  TempDir dir;
  std::ostringstream log;
  for (double coupling : {1.0, 0.5, 0.0}) {
    SCOPED_TRACE(fmt::format("coupling {}", coupling));
    SimulateOptions o;
    o.workloads = 400;
    o.hours = 2;
    o.seed = 11;
    o.scrape_seconds = 60;  // pods live whole scrape intervals
    o.start = 1764000000;
    o.kepler_schema = "v0.10";
    o.request_coupling = coupling;
    o.no_request_share = 0.2;
    o.out_dir = dir / fmt::format("c{}", coupling);
    Simulate(o, log);
    const auto truth = ReadWorkloadTruth(o.out_dir + "/truth_workloads.csv");
    ASSERT_GT(truth.size(), 350u);
    std::map<std::string, std::vector<double>> residuals;  // by pattern
    std::vector<double> watts;
    double oracle_abs = 0;
    bool gpu_seen = false;
    for (const auto& [key, t] : truth) {
      const std::string& family = t.family;
      std::string pattern = "steady";
      if (family == "mongo" || family == "rabbitmq" ||
          family == "elasticsearch" || family == "grafana")
        pattern = "bursty";
      else if (std::get<1>(key) == "Job" || std::get<1>(key) == "CronJob")
        pattern = "batch";
      else if (std::get<1>(key) != "DaemonSet" && family != "redis" &&
               family != "memcached" && family != "kafka" &&
               family != "prometheus")
        pattern = "diurnal";
      const double r = t.mean_watts_per_pod - t.oracle_watts_per_pod;
      residuals[pattern].push_back(r);
      residuals["all"].push_back(r);
      watts.push_back(t.mean_watts_per_pod);
      oracle_abs += std::abs(r);
      if (family == "pytorch" || family == "tensorflow") {
        gpu_seen = true;
        EXPECT_LT(t.oracle_label_watts_per_pod, 0.7 * t.oracle_watts_per_pod)
            << std::get<2>(key) << ": v0.10 labels are CPU only";
      } else {
        EXPECT_EQ(t.oracle_label_watts_per_pod, t.oracle_watts_per_pod);
      }
    }
    EXPECT_TRUE(gpu_seen);
    EXPECT_EQ(residuals.size(), 5u);
    for (const auto& [pattern, r] : residuals) {
      const double n = static_cast<double>(r.size());
      double mean = 0, var = 0;
      for (double x : r) mean += x / n;
      for (double x : r) var += (x - mean) * (x - mean) / (n - 1);
      EXPECT_LT(std::abs(mean), 4 * std::sqrt(var / n))
          << pattern << ": mean residual " << mean << " W over " << n;
    }
    std::nth_element(watts.begin(), watts.begin() + watts.size() / 2,
                     watts.end());
    const double median = watts[watts.size() / 2];
    double constant_abs = 0;
    for (const auto& [key, t] : truth)
      constant_abs += std::abs(t.mean_watts_per_pod - median);
    EXPECT_LT(oracle_abs, 0.8 * constant_abs);
  }
}

}  // namespace
}  // namespace podpower::simulate
