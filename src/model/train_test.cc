#include "model/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>

#include "io/error.h"
#include "io/parquet.h"
#include "model/oracle_test_util.h"

namespace podpower::model {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

const std::string kClusterA = std::string(PODPOWER_SOURCE_DIR) +
                              "/examples/data/cluster-a/train_rows.parquet";

// A train_rows-shaped table: `workloads[i]` per row, 4-d features,
// energy_step_j = `labels[i]`.
io::Table MakeRows(const std::vector<std::string>& workloads,
                   const std::vector<double>& labels) {
  io::Table t;
  // References from AddColumn die when the next column is added: add all, then
  // look up.
  for (const char* c :
       {"namespace", "workload_kind", "workload_name", "_spec_hash"}) {
    t.AddColumn(c, io::ColumnType::kString);
  }
  t.AddColumn("energy_step_j", io::ColumnType::kDouble);
  t.AddColumn("features", io::ColumnType::kFloatList);
  auto& ns = *t.Find("namespace");
  auto& kind = *t.Find("workload_kind");
  auto& name = *t.Find("workload_name");
  auto& spec = *t.Find("_spec_hash");
  auto& energy = *t.Find("energy_step_j");
  auto& features = *t.Find("features");
  for (size_t i = 0; i < workloads.size(); ++i) {
    ns.AppendString("default");
    kind.AppendString("Deployment");
    name.AppendString(workloads[i]);
    spec.AppendString("hash-" + workloads[i]);
    energy.AppendDouble(labels[i]);
    const std::vector<float> f{static_cast<float>(i % 3), 1.0f,
                               static_cast<float>(i % 5), 2.0f};
    features.AppendFloatList(f);
  }
  return t;
}

std::string TrainError(const std::string& train, const std::string& out) {
  TrainOptions options;
  options.train_path = train;
  options.out_path = out;
  std::ostringstream stdout_text, log;
  try {
    Train(options, stdout_text, log);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Train, cluster_a_aggregated_prints_cv_line_and_writes_loadable_model) {
  TempDir dir;
  TrainOptions options;
  options.train_path = kClusterA;
  options.out_path = dir / "model.knn";
  options.aggregate = true;
  std::ostringstream out, log;
  const TrainSummary s = Train(options, out, log);
  std::printf("%s%s", out.str().c_str(), log.str().c_str());
  EXPECT_TRUE(std::regex_match(
      out.str(),
      std::regex(
          R"(CV MAE: \d+\.\d{3} ± \d+\.\d{3} \| R2: (nan|-?\d+\.\d{3})\n)")))
      << out.str();
  // cluster-a: 826 rows, 11 with a NULL energy_step_j, 8 (workload, spec)
  // pairs, 8 workloads.
  EXPECT_EQ(s.loaded.input_rows, 826u);
  EXPECT_EQ(s.loaded.dropped_non_finite, 11u);
  EXPECT_THAT(
      log.str(),
      HasSubstr("dropped 11 of 826 rows with a non-finite energy_step_j"));
  EXPECT_THAT(log.str(), HasSubstr("decided by ties"));
  EXPECT_EQ(s.cv.folds, 5);
  const KnnModel model = KnnModel::Load(options.out_path);
  EXPECT_EQ(model.rows(), s.loaded.rows.rows());
  EXPECT_EQ(model.dim(), 393u);
  EXPECT_EQ(model.metadata().target, "energy_step_j");
  EXPECT_EQ(model.options().metric, Metric::kCosine);
  EXPECT_TRUE(model.metadata().aggregated);
}

TEST(Train, aggregate_averages_label_per_workload_and_spec) {
  io::Table t = MakeRows({"a", "a", "a", "b"}, {1, 2, 6, 10});
  // Rows 0 and 3 of "a" would differ in features (i % 3), so make rows 0..2
  // identical.
  auto* f = t.Find("features");
  for (size_t r = 0; r < 3; ++r) {
    for (size_t i = f->list_offsets[r]; i < f->list_offsets[r + 1]; ++i) {
      f->float_values[i] = f->float_values[i - f->list_offsets[r]];
    }
  }
  const LoadedRows loaded = LoadTrainingRows(t, "energy_step_j", true);
  ASSERT_EQ(loaded.rows.rows(), 2u);
  EXPECT_DOUBLE_EQ(loaded.rows.labels[0], 3.0);
  EXPECT_DOUBLE_EQ(loaded.rows.labels[1], 10.0);
  EXPECT_EQ(loaded.aggregated_from, 4u);
}

TEST(Train, missing_target_column_is_an_error_naming_it_and_writes_nothing) {
  TempDir dir;
  io::Table t = MakeRows({"a", "b", "c"}, {1, 2, 3});
  t.columns().erase(t.columns().begin() + 4);  // energy_step_j
  io::WriteParquet(t, dir / "rows.parquet");
  const std::string error = TrainError(dir / "rows.parquet", dir / "m.knn");
  EXPECT_THAT(error, HasSubstr("energy_step_j"));
  EXPECT_THAT(error, HasSubstr("rows.parquet"));
  EXPECT_EQ(error.find('\n'), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.knn"));
}

TEST(Train, wrong_typed_features_column_is_an_error) {
  TempDir dir;
  io::Table t = MakeRows({"a", "b", "c"}, {1, 2, 3});
  t.columns().erase(t.columns().begin() + 5);
  auto& features = t.AddColumn("features", io::ColumnType::kString);
  for (int i = 0; i < 3; ++i) features.AppendString("[1,2]");
  io::WriteParquet(t, dir / "rows.parquet");
  const std::string error = TrainError(dir / "rows.parquet", dir / "m.knn");
  EXPECT_THAT(error, HasSubstr("features"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.knn"));
}

TEST(Train, fewer_than_two_workloads_is_an_error) {
  TempDir dir;
  io::WriteParquet(MakeRows({"a", "a", "a", "a", "a", "a"}, {1, 2, 3, 4, 5, 6}),
                   dir / "rows.parquet");
  const std::string error = TrainError(dir / "rows.parquet", dir / "m.knn");
  EXPECT_THAT(error, HasSubstr("at least 2 workloads"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.knn"));
}

TEST(Train, all_nan_target_is_an_error) {
  TempDir dir;
  io::WriteParquet(MakeRows({"a", "b", "c"}, {NAN, NAN, INFINITY}),
                   dir / "rows.parquet");
  const std::string error = TrainError(dir / "rows.parquet", dir / "m.knn");
  EXPECT_THAT(error, HasSubstr("no row has a finite value"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.knn"));
}

TEST(Train, empty_input_is_an_error) {
  TempDir dir;
  io::WriteParquet(MakeRows({}, {}), dir / "rows.parquet");
  EXPECT_THAT(TrainError(dir / "rows.parquet", dir / "m.knn"),
              HasSubstr("no rows"));
  std::ofstream(dir / "zero.parquet")
      .close();  // a zero-byte file is not Parquet at all
  EXPECT_THAT(TrainError(dir / "zero.parquet", dir / "m.knn"),
              HasSubstr("zero.parquet"));
  EXPECT_FALSE(std::filesystem::exists(dir / "m.knn"));
}

TEST(Train, unknown_target_is_an_error) {
  io::Table t = MakeRows({"a", "b"}, {1, 2});
  EXPECT_THROW(LoadTrainingRows(t, "watts", false), Error);
}

TEST(Train, fold_with_fewer_rows_than_k_is_an_error) {
  TrainingRows rows;
  rows.dim = 1;
  rows.features = {0, 1, 2};
  rows.labels = {1, 2, 3};
  rows.workloads = {"a", "b", "c"};
  EXPECT_THROW(CrossValidate(rows, {5, Metric::kCosine, Weights::kUniform}),
               Error);
}

TEST(CvLine, formats_like_the_original) {
  CvResult cv;
  cv.mae_mean = 8.1064;
  cv.mae_std = 1.23456;
  cv.r2_mean = -0.5;
  EXPECT_EQ(FormatCvLine(cv), "CV MAE: 8.106 ± 1.235 | R2: -0.500");
  cv.r2_mean = NAN;
  EXPECT_EQ(FormatCvLine(cv), "CV MAE: 8.106 ± 1.235 | R2: nan");
}

}  // namespace
}  // namespace podpower::model
