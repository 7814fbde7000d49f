// evaluate's cross-validation, baselines, metrics and interval coverage
// against an independent scikit-learn/numpy implementation
// (tests/oracle/evaluate_sklearn.py) on random data without distance ties.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "evaluate/evaluate.h"
#include "model/oracle_test_util.h"

namespace podpower::evaluate {
namespace {

using model::testing::TempDir;

void ExpectClose(double got, const nlohmann::json& want,
                 const std::string& what) {
  if (want.is_null()) {
    EXPECT_TRUE(std::isnan(got))
        << what << ": podpower " << got << ", oracle null";
    return;
  }
  const double w = want.get<double>();
  EXPECT_LE(std::fabs(got - w), 1e-9 * std::max(1.0, std::fabs(w)))
      << what << ": podpower " << got << " oracle " << w;
}

struct Case {
  model::Metric metric;
  model::Weights weights;
};

class EvaluateVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluateVsSklearn, knn_baselines_metrics_and_coverage_equal_oracle) {
  if (!model::testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no sklearn";
  const Case c = GetParam();
  std::mt19937_64 rng(17 + static_cast<int>(c.metric) * 3 +
                      static_cast<int>(c.weights));
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> rows_per(2, 6);
  const size_t dim = 6, workloads = 30;
  const char* kinds[] = {"Deployment", "Job", "StatefulSet"};
  io::Table table;
  table.source = "synthetic";
  table.AddColumn("features", io::ColumnType::kFloatList);
  table.AddColumn("energy_step_j", io::ColumnType::kDouble);
  table.AddColumn("workload_name", io::ColumnType::kString);
  table.AddColumn("workload_kind", io::ColumnType::kString);
  table.AddColumn("namespace", io::ColumnType::kString);
  table.AddColumn("_spec_hash", io::ColumnType::kString);
  std::vector<std::string> families;
  std::vector<double> cpu;
  for (size_t w = 0; w < workloads; ++w) {
    // Families 0-5 are shared by several workloads; workloads 24+ have their
    // own family, unseen whenever they are held out.
    const std::string family =
        w < 24 ? fmt::format("fam{}", w % 6) : fmt::format("solo{}", w);
    const double cores = 0.1 * static_cast<double>(1 + (w * 7) % 20);
    const int n = rows_per(rng);
    for (int r = 0; r < n; ++r) {
      std::vector<float> f(dim);
      for (auto& x : f) x = normal(rng);
      auto& cols = table.columns();
      cols[0].AppendFloatList(f);
      cols[1].AppendDouble(5 + 3 * std::fabs(f[0]) + 4 * cores +
                           static_cast<double>(w % 6) + normal(rng));
      cols[2].AppendString(fmt::format("w{}", w));
      cols[3].AppendString(kinds[w % 3]);
      cols[4].AppendString(fmt::format("ns{}", w % 4));
      cols[5].AppendString(fmt::format("h{}", w));
      families.push_back(family);
      cpu.push_back(cores);
    }
  }
  // One row without a label: dropped exactly like train does.
  table.columns()[0].AppendFloatList(std::vector<float>(dim, 1.0f));
  table.columns()[1].AppendDouble(std::nan(""));
  for (size_t i = 2; i < 6; ++i) table.columns()[i].AppendString("wx");

  EvalData data = LoadEvalData(table, "energy_step_j", false, nullptr);
  ASSERT_EQ(data.rows.rows(), families.size());
  EXPECT_EQ(data.dropped_non_finite, 1u);
  data.families = families;
  data.family_matched = families.size();  // as if --requests matched all
  data.cpu = cpu;
  EvaluateOptions options;
  options.knn = {5, c.metric, c.weights};
  options.mape_floor = 8.0;  // some labels fall below it
  const size_t n = data.rows.rows();

  TempDir dir;
  std::vector<double> x(data.rows.features.begin(), data.rows.features.end());
  model::testing::WriteF64(dir / "X.f64", x);
  model::testing::WriteF64(dir / "y.f64", data.rows.labels);
  model::testing::WriteF64(dir / "cpu.f64", cpu);
  {
    std::ofstream g(dir / "groups.txt"), f(dir / "families.txt"),
        k(dir / "kinds.txt");
    for (size_t i = 0; i < n; ++i) {
      g << data.rows.workloads[i] << "\n";
      f << families[i] << "\n";
      k << data.kinds[i] << "\n";
    }
  }
  std::ofstream(dir / "meta.json") << nlohmann::json{
      {"n", n},
      {"d", dim},
      {"k", 5},
      {"metric", model::MetricName(c.metric)},
      {"weights", model::WeightsName(c.weights)},
      {"mape_floor", options.mape_floor},
      {"level", options.interval_level}}.dump();
  const std::string cmd =
      std::string(PODPOWER_PYTHON) + " " + PODPOWER_SOURCE_DIR +
      "/tests/oracle/evaluate_sklearn.py '" + dir.path().string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto want =
      nlohmann::json::parse(model::testing::ReadText(dir / "out.json"));

  const Evaluation e = Evaluate(options, std::move(data));
  ASSERT_EQ(e.schemes.size(), 3u);  // + GroupKFold by image family
  const char* scheme_keys[] = {"group_kfold", "logo", "family_kfold"};
  const char* method_keys[] = {"knn", "mean", "median", "family", "cpu"};
  for (size_t si = 0; si < 3; ++si) {
    const SchemeResult& s = e.schemes[si];
    const auto& w = want[scheme_keys[si]];
    SCOPED_TRACE(s.name);
    ASSERT_EQ(s.fold_of_row, w["fold"].get<std::vector<int>>());
    EXPECT_EQ(s.tie_decided, 0u) << "random data should have no ties";
    ASSERT_EQ(s.methods.size(), 5u);
    for (size_t m = 0; m < 5; ++m) {
      const auto& wp = w["predictions"][method_keys[m]];
      for (size_t i = 0; i < n; ++i) {
        ExpectClose(s.methods[m].predictions[i], wp[i],
                    fmt::format("{} row {}", s.methods[m].name, i));
      }
      const auto& ws = w["scores"][method_keys[m]];
      const auto& got = s.methods[m].overall;
      ExpectClose(got.mae, ws["mae"], s.methods[m].name + " MAE");
      ExpectClose(got.rmse, ws["rmse"], s.methods[m].name + " RMSE");
      ExpectClose(got.mape, ws["mape"], s.methods[m].name + " MAPE");
      ExpectClose(got.r2, ws["r2"], s.methods[m].name + " R2");
      EXPECT_EQ(got.mape_n, ws["mape_n"].get<size_t>());
      EXPECT_LT(got.mape_n, n) << "the floor should exclude some labels";
    }
    ExpectClose(s.fold_mae_mean, w["fold_mae_mean"], "fold MAE mean");
    ExpectClose(s.fold_mae_std, w["fold_mae_std"], "fold MAE std");
    if (si != 1) ExpectClose(s.fold_r2_mean, w["fold_r2_mean"], "fold R2");
    for (size_t i = 0; i < n; ++i)
      ExpectClose(s.label_std[i], w["label_std"][i], "label std");
    ExpectClose(s.coverage, w["coverage"], "interval coverage");
    ExpectClose(s.mean_width, w["mean_width"], "interval width");
    for (const char* key : {"seen", "unseen"}) {
      const std::string name = std::string(key) + " family";
      const GroupScores* g = nullptr;
      for (const auto& x : s.by_family_seen)
        if (x.key == name) g = &x;
      if (w[key].is_null()) {  // e.g. no seen family when families are held out
        EXPECT_EQ(g, nullptr) << name;
        continue;
      }
      ASSERT_NE(g, nullptr) << name;
      EXPECT_EQ(g->model.n, w[key]["n"].get<size_t>());
      ExpectClose(g->model.mae, w[key]["mae"], name + " MAE");
      ExpectClose(g->model.mape, w[key]["mape"], name + " MAPE");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, EvaluateVsSklearn,
                         ::testing::Values(Case{model::Metric::kCosine,
                                                model::Weights::kUniform},
                                           Case{model::Metric::kEuclidean,
                                                model::Weights::kDistance}));

}  // namespace
}  // namespace podpower::evaluate
