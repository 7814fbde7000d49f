// The whole pipeline on a simulated cluster of 300 workloads
// (scripts/demo-simulated.sh: simulate -> promtool -> a real Prometheus ->
// labels -> encode -> join -> train -> evaluate): the labels Prometheus gives
// back reproduce the simulation's true watts, and the report states seen- and
// unseen-family MAE/MAPE and interval coverage in its closing note.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "io/parquet.h"
#include "model/oracle_test_util.h"

namespace podpower::simulate {
namespace {

TEST(SimulatedPipeline, labels_match_truth_and_report_quotes_split) {
  const std::string bin =
      std::string(PODPOWER_BINARY_DIR) + "/src/cli/podpower";
  if (!std::filesystem::exists(bin))
    GTEST_SKIP() << bin << " not built (build the podpower target first)";
  for (const char* tool : {"/usr/bin/promtool", "/usr/bin/prometheus"}) {
    if (!std::filesystem::exists(tool))
      GTEST_SKIP() << tool << " missing (apt-get install prometheus)";
  }
  model::testing::TempDir dir;
  const std::string out = dir / "demo";
  const std::string cmd = std::string(PODPOWER_SOURCE_DIR) +
                          "/scripts/demo-simulated.sh '" + bin + "' '" + out +
                          "' 300 2 >'" + (dir / "demo.log") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0)
      << model::testing::ReadText(dir / "demo.log");

  // Truth: mean watts per pod of every always-running workload.
  std::map<std::tuple<std::string, std::string, std::string>, double> truth;
  std::ifstream csv(out + "/sim/truth_workloads.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::istringstream f(line);
    std::string ns, kind, name, family, pods, watts;
    std::getline(f, ns, ',');
    std::getline(f, kind, ',');
    std::getline(f, name, ',');
    std::getline(f, family, ',');
    std::getline(f, pods, ',');
    std::getline(f, watts, ',');
    if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet")
      truth[{ns, kind, name}] = std::stod(watts);
  }
  ASSERT_GT(truth.size(), 100u);
  // Labels: mean energy per 60 s step over a workload's pod-steps.
  const io::Table labels = io::ReadParquet(out + "/kepler_labels.parquet");
  const auto& ns = labels.Require("namespace", io::ColumnType::kString);
  const auto& kind = labels.Require("workload_kind", io::ColumnType::kString);
  const auto& name = labels.Require("workload_name", io::ColumnType::kString);
  const auto& energy = labels.Require("energy_step_j", io::ColumnType::kDouble);
  std::map<std::tuple<std::string, std::string, std::string>,
           std::pair<double, double>>
      measured;
  for (size_t r = 0; r < labels.rows(); ++r) {
    if (energy.is_null(r) || !std::isfinite(energy.doubles[r])) continue;
    auto& m = measured[{ns.strings[r], kind.strings[r], name.strings[r]}];
    m.first += energy.doubles[r];
    m.second += 1;
  }
  size_t compared = 0;
  for (const auto& [key, watts] : truth) {
    auto it = measured.find(key);
    ASSERT_NE(it, measured.end()) << std::get<2>(key) << " has no labels";
    const double got = it->second.first / it->second.second / 60.0;
    EXPECT_NEAR(got, watts, 0.03 * watts) << std::get<2>(key);
    ++compared;
  }
  EXPECT_EQ(compared, truth.size());

  const std::string html = model::testing::ReadText(out + "/report.html");
  const size_t note = html.find("Closing note");
  ASSERT_NE(note, std::string::npos);
  const std::string closing = html.substr(note);
  for (const char* text :
       {"seen family workloads", "unseen family workloads", "MAPE",
        "interval coverage", "GroupKFold(5) by image family"}) {
    EXPECT_NE(closing.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(closing.find("no unseen family"), std::string::npos);
  EXPECT_EQ(closing.find("n/a"), std::string::npos);
}

}  // namespace
}  // namespace podpower::simulate
