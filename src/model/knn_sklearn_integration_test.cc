// KnnModel and CrossValidate against scikit-learn 1.2.1 (Debian python), the
// outside oracle.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "io/parquet.h"
#include "model/knn.h"
#include "model/metrics.h"
#include "model/oracle_test_util.h"
#include "model/train.h"

namespace podpower::model {
namespace {

using testing::TempDir;

// The cv / cv_share oracles' input: features, labels, groups and settings of
// `rows`, as tests/oracle/knn_sklearn.py reads them from `dir`.
void WriteCvOracleInput(const TempDir& dir, const TrainingRows& rows,
                        const KnnOptions& options) {
  testing::WriteF64(dir / "X.f64",
                    {rows.features.begin(), rows.features.end()});
  testing::WriteF64(dir / "y.f64", rows.labels);
  std::ofstream(dir / "groups.json") << nlohmann::json(rows.workloads).dump();
  std::ofstream(dir / "meta.json") << nlohmann::json{
      {"n", rows.rows()},
      {"d", rows.dim},
      {"k", options.k},
      {"metric", MetricName(options.metric)},
      {"weights",
       WeightsName(options.weights)}}.dump();
}

void ExpectRelativelyEqual(double got, double want, const std::string& what) {
  EXPECT_LE(std::fabs(got - want),
            1e-9 * std::max(std::fabs(want), 1e-300) + 1e-300)
      << what << ": podpower " << got << " sklearn " << want;
}

class KnnVsSklearn
    : public ::testing::TestWithParam<std::tuple<size_t, Metric, Weights>> {};

// n = 2000 training rows, 500 queries, standard normal float32 values (Python
// gets the same float32-rounded values as float64), y = 3 x0 + noise.
TEST_P(KnnVsSklearn, random_data_predictions_equal_sklearn) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no sklearn";
  const auto [dim, metric, weights] = GetParam();
  const size_t n = 2000, nq = 500;
  std::mt19937_64 rng(dim * 31 + static_cast<int>(metric) * 7 +
                      static_cast<int>(weights));
  std::normal_distribution<float> normal;
  TrainingRows rows;
  rows.dim = dim;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < dim; ++j) rows.features.push_back(normal(rng));
    rows.labels.push_back(3.0 * rows.features[i * dim] + normal(rng));
    rows.workloads.push_back("w");
  }
  std::vector<float> queries(nq * dim);
  for (auto& x : queries) x = normal(rng);
  TempDir dir;
  testing::WriteF64(dir / "train_X.f64",
                    {rows.features.begin(), rows.features.end()});
  testing::WriteF64(dir / "train_y.f64", rows.labels);
  testing::WriteF64(dir / "query_X.f64", {queries.begin(), queries.end()});
  std::ofstream(dir / "meta.json") << nlohmann::json{
      {"n", n},
      {"d", dim},
      {"nq", nq},
      {"k", 5},
      {"metric", MetricName(metric)},
      {"weights", WeightsName(weights)}}.dump();
  ASSERT_EQ(testing::RunOracle("knn", dir.path().string()), 0);
  const auto want = testing::ReadF64(dir / "pred.f64");
  ASSERT_EQ(want.size(), nq);
  const auto model = KnnModel::Fit(rows, {5, metric, weights}, {});
  const auto got = model.PredictBatch(queries, nq);
  for (size_t q = 0; q < nq; ++q) {
    ASSERT_FALSE(got[q].decided_by_tie)
        << "random data should have no exact ties";
    ExpectRelativelyEqual(got[q].value, want[q], "query " + std::to_string(q));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, KnnVsSklearn,
    ::testing::Combine(::testing::Values(size_t{16}, size_t{400}),
                       ::testing::Values(Metric::kCosine, Metric::kEuclidean),
                       ::testing::Values(Weights::kUniform,
                                         Weights::kDistance)));

class ClusterAVsSklearn
    : public ::testing::TestWithParam<std::tuple<Metric, Weights>> {};

// The real cluster-a train_rows, averaged per (workload, spec): same GroupKFold
// folds as sklearn, and the same out-of-fold predictions wherever the tie rule
// did not decide (sklearn's pick among tied rows is arbitrary).
TEST_P(ClusterAVsSklearn,
       aggregated_cv_matches_sklearn_where_not_decided_by_ties) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no sklearn";
  const auto [metric, weights] = GetParam();
  const io::Table table =
      io::ReadParquet(std::string(PODPOWER_SOURCE_DIR) +
                      "/examples/data/cluster-a/train_rows.parquet");
  const LoadedRows loaded = LoadTrainingRows(table, "energy_step_j", true);
  const TrainingRows& rows = loaded.rows;
  const KnnOptions options{5, metric, weights};
  const CvResult cv = CrossValidate(rows, options);
  std::printf(
      "cluster-a aggregated (%zu rows, %s, %s): %s; %zu of %zu decided by "
      "ties\n",
      rows.rows(), MetricName(metric).c_str(), WeightsName(weights).c_str(),
      FormatCvLine(cv).c_str(), cv.tie_decided, rows.rows());
  TempDir dir;
  WriteCvOracleInput(dir, rows, {5, metric, weights});
  ASSERT_EQ(testing::RunOracle("cv", dir.path().string()), 0);
  const auto folds =
      nlohmann::json::parse(testing::ReadText(dir / "folds.json"));
  EXPECT_EQ(cv.fold_of_row, folds.get<std::vector<int>>());
  const auto want = testing::ReadF64(dir / "pred.f64");
  size_t compared = 0;
  for (size_t i = 0; i < rows.rows(); ++i) {
    if (cv.decided_by_tie[i]) continue;
    ++compared;
    ExpectRelativelyEqual(cv.predictions[i], want[i],
                          "row " + std::to_string(i));
  }
  std::printf("compared %zu of %zu out-of-fold predictions with sklearn\n",
              compared, rows.rows());
  EXPECT_GT(compared, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, ClusterAVsSklearn,
    ::testing::Combine(::testing::Values(Metric::kCosine, Metric::kEuclidean),
                       ::testing::Values(Weights::kUniform,
                                         Weights::kDistance)));

// Without --aggregate, cluster-a holds hundreds of identical feature rows with
// different labels: most predictions are decided by ties; the rest must still
// equal sklearn's.
TEST(ClusterAVsSklearnRaw,
     unaggregated_cv_matches_sklearn_where_not_decided_by_ties) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no sklearn";
  const io::Table table =
      io::ReadParquet(std::string(PODPOWER_SOURCE_DIR) +
                      "/examples/data/cluster-a/train_rows.parquet");
  const LoadedRows loaded = LoadTrainingRows(table, "energy_step_j", false);
  const TrainingRows& rows = loaded.rows;
  const CvResult cv =
      CrossValidate(rows, {5, Metric::kCosine, Weights::kUniform});
  std::printf(
      "cluster-a raw (%zu rows, %zu dropped): %s; %zu decided by ties\n",
      rows.rows(), loaded.dropped_non_finite, FormatCvLine(cv).c_str(),
      cv.tie_decided);
  TempDir dir;
  WriteCvOracleInput(dir, rows, {5, Metric::kCosine, Weights::kUniform});
  ASSERT_EQ(testing::RunOracle("cv", dir.path().string()), 0);
  const auto folds =
      nlohmann::json::parse(testing::ReadText(dir / "folds.json"));
  EXPECT_EQ(cv.fold_of_row, folds.get<std::vector<int>>());
  const auto want = testing::ReadF64(dir / "pred.f64");
  double sklearn_mae = 0;
  size_t compared = 0;
  for (size_t i = 0; i < rows.rows(); ++i) {
    sklearn_mae += std::fabs(want[i] - rows.labels[i]);
    if (cv.decided_by_tie[i]) continue;
    ++compared;
    ExpectRelativelyEqual(cv.predictions[i], want[i],
                          "row " + std::to_string(i));
  }
  // sklearn's own CV line on the same folds (its tie order is arbitrary).
  CvResult sk = cv;
  sk.fold_mae.clear();
  sk.fold_r2.clear();
  for (int f = 0; f < cv.folds; ++f) {
    std::vector<double> truth, pred;
    for (size_t i = 0; i < rows.rows(); ++i) {
      if (cv.fold_of_row[i] != f) continue;
      truth.push_back(rows.labels[i]);
      pred.push_back(want[i]);
    }
    sk.fold_mae.push_back(MeanAbsoluteError(truth, pred));
    sk.fold_r2.push_back(R2Score(truth, pred));
  }
  sk.mae_mean = Mean(sk.fold_mae);
  sk.mae_std = PopulationStd(sk.fold_mae);
  sk.r2_mean = Mean(sk.fold_r2);
  std::printf(
      "compared %zu of %zu with sklearn; sklearn on the same folds: %s (pooled "
      "%.3f)\n",
      compared, rows.rows(), FormatCvLine(sk).c_str(),
      sklearn_mae / rows.rows());
}

// The tie rule itself, on real data where it decides every prediction: an
// independent numpy implementation (tests/oracle/knn_sklearn.py cv_share) on
// the same folds.
class ClusterATieRule
    : public ::testing::TestWithParam<std::tuple<Metric, Weights>> {};

TEST_P(ClusterATieRule, unaggregated_cv_equals_numpy_tie_sharing_oracle) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no sklearn";
  const auto [metric, weights] = GetParam();
  const io::Table table =
      io::ReadParquet(std::string(PODPOWER_SOURCE_DIR) +
                      "/examples/data/cluster-a/train_rows.parquet");
  const TrainingRows rows =
      LoadTrainingRows(table, "energy_step_j", false).rows;
  const CvResult cv = CrossValidate(rows, {5, metric, weights});
  std::printf("cluster-a raw, %s, %s: %s; %zu of %zu decided by ties\n",
              MetricName(metric).c_str(), WeightsName(weights).c_str(),
              FormatCvLine(cv).c_str(), cv.tie_decided, rows.rows());
  TempDir dir;
  WriteCvOracleInput(dir, rows, {5, metric, weights});
  ASSERT_EQ(testing::RunOracle("cv_share", dir.path().string()), 0);
  const auto want = testing::ReadF64(dir / "pred.f64");
  ASSERT_EQ(want.size(), rows.rows());
  for (size_t i = 0; i < rows.rows(); ++i) {
    ExpectRelativelyEqual(cv.predictions[i], want[i],
                          "row " + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, ClusterATieRule,
    ::testing::Combine(::testing::Values(Metric::kCosine, Metric::kEuclidean),
                       ::testing::Values(Weights::kUniform,
                                         Weights::kDistance)));

}  // namespace
}  // namespace podpower::model
