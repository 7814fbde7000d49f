// evaluate on bad input, on the real cluster-a sample, and its small parts.
#include "evaluate/evaluate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "evaluate/baselines.h"
#include "evaluate/report.h"
#include "io/error.h"
#include "io/parquet.h"
#include "model/metrics.h"
#include "model/oracle_test_util.h"
#include "model/train.h"
#include "model/workload_traits.h"

namespace podpower::evaluate {
namespace {

using model::testing::TempDir;

const std::string kClusterA = std::string(PODPOWER_SOURCE_DIR) +
                              "/examples/data/cluster-a/train_rows.parquet";

// A train_rows table with `workloads` workloads of 3 rows; labels from
// `label(row)`.
io::Table SmallTable(int workloads, double (*label)(int)) {
  io::Table t;
  t.source = "small.parquet";
  t.AddColumn("features", io::ColumnType::kFloatList);
  t.AddColumn("energy_step_j", io::ColumnType::kDouble);
  t.AddColumn("workload_name", io::ColumnType::kString);
  t.AddColumn("workload_kind", io::ColumnType::kString);
  t.AddColumn("namespace", io::ColumnType::kString);
  int row = 0;
  for (int w = 0; w < workloads; ++w) {
    for (int r = 0; r < 3; ++r, ++row) {
      const std::vector<float> f{static_cast<float>(row), 1.0f,
                                 static_cast<float>(w)};
      t.columns()[0].AppendFloatList(f);
      t.columns()[1].AppendDouble(label(row));
      t.columns()[2].AppendString(fmt::format("w{}", w));
      t.columns()[3].AppendString("Deployment");
      t.columns()[4].AppendString("default");
    }
  }
  return t;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(EvaluateInput, missing_target_column_names_file_and_column) {
  TempDir dir;
  io::Table t = SmallTable(4, [](int r) { return 1.0 + r; });
  io::WriteParquet(t, dir / "rows.parquet");
  EvaluateOptions o;
  o.train_path = dir / "rows.parquet";
  o.target = "avg_power_w";
  std::ostringstream out, log;
  const std::string msg = ErrorOf([&] { RunEvaluate(o, out, log); });
  EXPECT_NE(msg.find("rows.parquet"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'avg_power_w' missing"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

TEST(EvaluateInput, one_workload_is_not_enough_for_grouped_cv) {
  const io::Table t = SmallTable(1, [](int r) { return 1.0 + r; });
  const std::string msg =
      ErrorOf([&] { LoadEvalData(t, "energy_step_j", false, nullptr); });
  EXPECT_NE(msg.find("small.parquet"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least 2"), std::string::npos) << msg;
}

// Leave-one-out fits one model per workload: beyond kMaxLeaveOneOutWorkloads
// the second scheme is GroupKFold(kManyFolds) by workload, and says so.
TEST(EvaluateSchemes, many_workloads_get_many_folds_instead_of_leave_one_out) {
  for (int workloads : {30, static_cast<int>(kMaxLeaveOneOutWorkloads) + 1}) {
    const io::Table t =
        SmallTable(workloads, [](int r) { return 1.0 + (r % 7); });
    EvaluateOptions options;
    options.learner = model::Learner::kKnn;  // the scheme, not the model
    const Evaluation e =
        Evaluate(options, LoadEvalData(t, "energy_step_j", false, nullptr));
    ASSERT_GE(e.schemes.size(), 2u);
    const std::string& name = e.schemes[1].name;
    if (workloads <= static_cast<int>(kMaxLeaveOneOutWorkloads)) {
      EXPECT_EQ(name, "LeaveOneGroupOut (30 workloads)");
      EXPECT_EQ(e.schemes[1].folds, 30);
    } else {
      EXPECT_EQ(name,
                fmt::format("GroupKFold({}) by workload (not "
                            "leave-one-out: {} workloads > {})",
                            kManyFolds, workloads, kMaxLeaveOneOutWorkloads));
      EXPECT_EQ(e.schemes[1].folds, kManyFolds);
    }
  }
}

TEST(EvaluateInput, all_nan_labels_are_an_error) {
  const io::Table t = SmallTable(4, [](int) { return std::nan(""); });
  const std::string msg =
      ErrorOf([&] { LoadEvalData(t, "energy_step_j", false, nullptr); });
  EXPECT_NE(msg.find("no row has a finite value"), std::string::npos) << msg;
  EXPECT_NE(msg.find("energy_step_j"), std::string::npos) << msg;
}

TEST(EvaluateInput, bad_interval_level_and_target_are_rejected) {
  EvaluateOptions o;
  o.train_path = kClusterA;
  o.interval_level = 1.5;
  std::ostringstream out, log;
  EXPECT_NE(ErrorOf([&] { RunEvaluate(o, out, log); }).find("--interval-level"),
            std::string::npos);
  o.interval_level = 0.8;
  o.target = "watts";
  EXPECT_NE(ErrorOf([&] { RunEvaluate(o, out, log); }).find("--target"),
            std::string::npos);
}

// The real sample: evaluate's original-style line must be the one `train`
// prints on the same rows, the tie count must be reported, and the training
// mean baseline is recomputed here from the fold assignment.
TEST(EvaluateClusterA, prints_train_cv_line_ties_and_baselines) {
  EvaluateOptions o;
  o.train_path = kClusterA;
  o.compare_line = "original train_knn.py on this file: CV MAE 8.106";
  o.report_path = "";
  std::ostringstream out, log;
  const Evaluation e = RunEvaluate(o, out, log);
  const std::string text = out.str();

  const io::Table table = io::ReadParquet(kClusterA);
  const auto loaded = model::LoadTrainingRows(table, "energy_step_j", false);
  const auto cv = model::CrossValidate(loaded.rows, o.knn);
  EXPECT_NE(text.find(model::FormatCvLine(cv)), std::string::npos) << text;
  EXPECT_NE(text.find(o.compare_line), std::string::npos);
  EXPECT_GT(cv.tie_decided, 0u);
  EXPECT_NE(text.find(fmt::format("{} of {} neighbour searches were decided "
                                  "by ties",
                                  cv.tie_decided, loaded.rows.rows())),
            std::string::npos)
      << text;
  for (const char* name : {"training mean", "training median",
                           "per-family median", "linear on CPU request"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  // Training-mean baseline by hand.
  const auto& s = e.schemes[0];
  EXPECT_EQ(s.fold_of_row, cv.fold_of_row);
  std::vector<double> by_hand(loaded.rows.rows());
  for (int f = 0; f < s.folds; ++f) {
    double sum = 0;
    size_t count = 0;
    for (size_t i = 0; i < by_hand.size(); ++i) {
      if (cv.fold_of_row[i] != f) {
        sum += loaded.rows.labels[i];
        ++count;
      }
    }
    for (size_t i = 0; i < by_hand.size(); ++i)
      if (cv.fold_of_row[i] == f) by_hand[i] = sum / static_cast<double>(count);
  }
  EXPECT_NEAR(s.methods[1].overall.mae,
              model::MeanAbsoluteError(loaded.rows.labels, by_hand), 1e-9);
}

TEST(EvaluateClusterA, families_come_from_requests_by_spec_hash) {
  EvaluateOptions o;
  o.train_path = kClusterA;
  o.requests_path = std::string(PODPOWER_SOURCE_DIR) +
                    "/examples/data/cluster-a/inference_requests.ndjson";
  o.leave_one_group_out = false;
  std::ostringstream out, log;
  const Evaluation e = RunEvaluate(o, out, log);
  if (e.data.family_matched == 0) {
    GTEST_SKIP() << "no cluster-a _spec_hash matches its published requests";
  }
  for (size_t i = 0; i < e.data.rows.rows(); ++i) {
    if (!e.data.spec_hashes[i].empty() && !e.data.families[i].empty()) {
      EXPECT_EQ(e.data.families[i].find(':'), std::string::npos);
    }
  }
}

// The search's CV MAE is the same number evaluate reports for that setting
// (which the sklearn oracle test pins), and its best is the grid's minimum.
TEST(EvaluateSearch, best_setting_is_the_grid_minimum_of_evaluate_mae) {
  EvaluateOptions o;
  o.train_path = kClusterA;
  o.aggregate = true;
  o.knn.k = 3;
  o.search = true;
  o.leave_one_group_out = false;
  std::ostringstream out, log;
  const Evaluation e = RunEvaluate(o, out, log);
  ASSERT_TRUE(e.searched);
  bool found = false;
  double minimum = 1e300;
  for (const auto& s : e.search.scores) {
    minimum = std::min(minimum, s.mae);
    if (s.options.k == 3 && s.options.metric == model::Metric::kCosine &&
        s.options.weights == model::Weights::kUniform) {
      found = true;
      EXPECT_NEAR(s.mae, e.schemes[0].methods[0].overall.mae, 1e-12);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(e.search.best_mae, minimum);
  EXPECT_FALSE(std::isnan(e.search.nested_mae));
  EXPECT_NE(out.str().find("nested CV MAE"), std::string::npos);
}

TEST(ImageFamily, strips_registry_path_tag_and_digest) {
  EXPECT_EQ(model::ImageFamily("registry.k8s.io/coredns/coredns:v1.11.1"),
            "coredns");
  EXPECT_EQ(model::ImageFamily("bitnami/redis:7.2"), "redis");
  EXPECT_EQ(model::ImageFamily("localhost:5000/team/App@sha256:abc"), "app");
  EXPECT_EQ(model::ImageFamily("postgres"), "postgres");
  EXPECT_EQ(model::ImageFamily(""), "");
}

TEST(Baselines, family_median_falls_back_to_training_median) {
  BaselineInputs in{
      {1, 2, 3, 10, 20, 5}, {"a", "a", "a", "b", "b", "c"}, {0, 0, 0, 0, 0, 0}};
  const auto p =
      PredictBaseline(Baseline::kFamilyMedian, in, {0, 1, 2, 3, 4}, {5, 3});
  EXPECT_EQ(p[0], 3.0);   // family c unseen: median of 1 2 3 10 20
  EXPECT_EQ(p[1], 15.0);  // family b: median of 10, 20
}

TEST(Baselines, cpu_line_recovers_an_exact_line) {
  BaselineInputs in{{7, 9, 11, 13}, {"", "", "", ""}, {1, 2, 3, 4}};
  const auto p = PredictBaseline(Baseline::kCpuLine, in, {0, 1, 2}, {3});
  EXPECT_NEAR(p[0], 13.0, 1e-12);
}

TEST(ErrorMetrics, mape_only_counts_labels_above_the_floor) {
  const auto m = ComputeErrors({0.5, 10, 20}, {1.5, 11, 18}, 1.0);
  EXPECT_EQ(m.mape_n, 2u);
  EXPECT_NEAR(m.mape, (0.1 + 0.1) / 2, 1e-12);
  EXPECT_NEAR(m.mae, (1 + 1 + 2) / 3.0, 1e-12);
  EXPECT_NEAR(m.rmse, std::sqrt((1 + 1 + 4) / 3.0), 1e-12);
}

TEST(Report, is_self_contained_html_with_charts_and_worst_table) {
  EvaluateOptions o;
  o.train_path = kClusterA;
  o.leave_one_group_out = false;
  o.aggregate = true;
  o.knn.k = 3;
  std::ostringstream out, log;
  const Evaluation e = RunEvaluate(o, out, log);
  const std::string html = RenderReport(e);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Worst predictions"), std::string::npos);
  EXPECT_NE(html.find("Closing note"), std::string::npos);
  EXPECT_EQ(HtmlEscape("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
}

}  // namespace
}  // namespace podpower::evaluate
