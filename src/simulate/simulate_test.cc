// simulate: the specs parse back, the OpenMetrics follows promtool's rules,
// the counters integrate to the stated true energy, and a seed reproduces.
#include "simulate/simulate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "io/error.h"
#include "io/inference_request.h"
#include "model/oracle_test_util.h"

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
}

}  // namespace
}  // namespace podpower::simulate
