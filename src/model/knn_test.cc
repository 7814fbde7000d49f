#include "model/knn.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "io/error.h"

namespace podpower::model {
namespace {

TrainingRows Rows(const std::vector<std::vector<float>>& x,
                  const std::vector<double>& y) {
  TrainingRows rows;
  rows.dim = x.front().size();
  for (size_t i = 0; i < x.size(); ++i) {
    rows.features.insert(rows.features.end(), x[i].begin(), x[i].end());
    rows.labels.push_back(y[i]);
    rows.workloads.push_back(fmt::format("w{}", i % 3));
  }
  return rows;
}

KnnModel Fit(const TrainingRows& rows, int k, Metric metric, Weights weights) {
  return KnnModel::Fit(rows, {k, metric, weights}, {});
}

// knn-reference.md section 2, tested against sklearn 1.2.1: x=[0,0,1,2,3],
// y=[1,3,10,20,30], k=3.
TEST(Knn, distance_weights_use_only_exact_matches_when_one_exists) {
  const auto rows = Rows({{0}, {0}, {1}, {2}, {3}}, {1, 3, 10, 20, 30});
  const auto model = Fit(rows, 3, Metric::kEuclidean, Weights::kDistance);
  EXPECT_DOUBLE_EQ(model.Predict(std::vector<float>{0}).value, 2.0);
  EXPECT_NEAR(model.Predict(std::vector<float>{0.5f}).value, 4.6667, 1e-4);
}

// Rule: m rows strictly nearer than the k-th distance count fully; the t rows
// at the k-th distance share k - m slots. Here k=2, query 0: row 0 at distance
// 0 (m=1), rows 1..3 at distance 1 (t=3) share one slot: (1 + (2+4+6)/3) / 2
// = 2.5.
TEST(Knn, rows_tied_at_kth_distance_share_remaining_slots_uniform) {
  const auto rows = Rows({{0}, {1}, {-1}, {1}, {5}}, {1, 2, 4, 6, 100});
  const auto p = Fit(rows, 2, Metric::kEuclidean, Weights::kUniform)
                     .Predict(std::vector<float>{0});
  EXPECT_DOUBLE_EQ(p.value, 2.5);
  EXPECT_TRUE(p.decided_by_tie);
  EXPECT_EQ(p.neighbour_count, 4u);
  ASSERT_EQ(p.neighbours.size(), 4u);
  EXPECT_DOUBLE_EQ(p.neighbours[0].weight, 0.5);
  for (int i = 1; i < 4; ++i) EXPECT_DOUBLE_EQ(p.neighbours[i].weight, 0.5 / 3);
  EXPECT_DOUBLE_EQ(p.label_min, 1);
  EXPECT_DOUBLE_EQ(p.label_max, 6);
}

// Distance weights: shares are multiplied by 1/d. Query 0.5: row 0 at 0.5 (m=1,
// w=2), rows 1..3 at 1.5 share one slot (w = (1/3)/1.5 each). Prediction = (2*1
// + (2/9)*(2+4+6)) / (2 + 3*(2/9)).
TEST(Knn, rows_tied_at_kth_distance_share_remaining_slots_distance) {
  const auto rows = Rows({{0}, {2}, {-1}, {2}, {5}}, {1, 2, 4, 6, 100});
  const auto model = Fit(rows, 2, Metric::kEuclidean, Weights::kDistance);
  const auto p = model.Predict(std::vector<float>{0.5f});
  const double w0 = 1 / 0.5, wt = (1.0 / 3) / 1.5;
  EXPECT_NEAR(p.value, (w0 * 1 + wt * 12) / (w0 + 3 * wt), 1e-12);
  EXPECT_TRUE(p.decided_by_tie);
}

TEST(Knn, no_tie_when_kth_and_next_distance_differ) {
  const auto rows = Rows({{0}, {1}, {3}, {7}}, {1, 2, 4, 8});
  const auto p = Fit(rows, 2, Metric::kEuclidean, Weights::kUniform)
                     .Predict(std::vector<float>{0});
  EXPECT_DOUBLE_EQ(p.value, 1.5);
  EXPECT_FALSE(p.decided_by_tie);
  EXPECT_EQ(p.neighbour_count, 2u);
}

// All tied exact matches (k-th distance 0) count equally under distance
// weights.
TEST(Knn, many_exact_matches_average_equally_with_distance_weights) {
  const auto rows = Rows({{1, 1}, {1, 1}, {1, 1}, {2, 2}}, {3, 6, 9, 100});
  const auto p = Fit(rows, 2, Metric::kEuclidean, Weights::kDistance)
                     .Predict(std::vector<float>{1, 1});
  EXPECT_DOUBLE_EQ(p.value, 6.0);
}

// sklearn: a zero vector is at cosine distance exactly 1 from everything.
TEST(Knn, cosine_zero_vector_is_at_distance_one) {
  const auto rows = Rows({{0, 0}, {1, 0}, {0, 1}, {-1, 0}}, {1, 2, 3, 4});
  const auto model = Fit(rows, 1, Metric::kCosine, Weights::kUniform);
  const auto p = model.Predict(std::vector<float>{0, 0});
  ASSERT_EQ(p.neighbours.size(), 4u);  // all four tied at distance 1
  for (const auto& n : p.neighbours) EXPECT_EQ(n.distance, 1.0);
  EXPECT_DOUBLE_EQ(p.value, 2.5);
  const auto q = model.Predict(std::vector<float>{2, 0});
  EXPECT_EQ(q.neighbours.size(), 1u);
  EXPECT_EQ(q.neighbours[0].row, 1u);
  EXPECT_EQ(q.neighbours[0].distance, 0.0);
  // Opposite direction: distance 2, clipped range.
  const auto r = Fit(rows, 4, Metric::kCosine, Weights::kUniform)
                     .Predict(std::vector<float>{1, 0});
  EXPECT_EQ(r.neighbours.back().distance, 2.0);
}

TEST(Knn, more_neighbours_than_rows_fails_at_predict) {
  const auto rows = Rows({{0}, {1}}, {1, 2});
  const auto model = Fit(rows, 3, Metric::kEuclidean, Weights::kUniform);
  EXPECT_THROW(model.Predict(std::vector<float>{0}), Error);
}

TEST(Knn, wrong_query_length_or_nan_is_an_error) {
  const auto model = Fit(Rows({{0, 1}, {1, 0}}, {1, 2}), 1, Metric::kCosine,
                         Weights::kUniform);
  EXPECT_THROW(model.Predict(std::vector<float>{0}), Error);
  EXPECT_THROW(model.Predict(std::vector<float>{0, NAN}), Error);
}

// Random rows with many exact duplicates (and duplicate labels that differ), so
// ties abound.
struct TieHeavyData {
  TrainingRows rows;
  std::vector<float> queries;
  size_t query_count = 0;
};

TieHeavyData MakeTieHeavy(size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> distinct(40, std::vector<float>(dim));
  for (auto& v : distinct) {
    for (auto& x : v) x = normal(rng);
  }
  TieHeavyData d;
  d.rows.dim = dim;
  for (size_t i = 0; i < 600; ++i) {
    const auto& v = distinct[rng() % distinct.size()];
    d.rows.features.insert(d.rows.features.end(), v.begin(), v.end());
    d.rows.labels.push_back(static_cast<double>(rng() % 1000) / 7.0);
    d.rows.workloads.push_back(fmt::format("w{}", rng() % 9));
  }
  for (size_t q = 0; q < 200; ++q) {
    // Half the queries are training points themselves (exact matches), half are
    // new.
    if (q % 2 == 0) {
      const auto& v = distinct[rng() % distinct.size()];
      d.queries.insert(d.queries.end(), v.begin(), v.end());
    } else {
      for (size_t i = 0; i < dim; ++i) d.queries.push_back(normal(rng));
    }
  }
  d.query_count = 200;
  return d;
}

TrainingRows Permute(const TrainingRows& rows,
                     const std::vector<size_t>& order) {
  TrainingRows out;
  out.dim = rows.dim;
  for (size_t i : order) {
    out.features.insert(out.features.end(),
                        rows.features.begin() + i * rows.dim,
                        rows.features.begin() + (i + 1) * rows.dim);
    out.labels.push_back(rows.labels[i]);
    out.workloads.push_back(rows.workloads[i]);
  }
  return out;
}

class KnnShuffle
    : public ::testing::TestWithParam<std::tuple<Metric, Weights, size_t>> {};

TEST_P(KnnShuffle, predictions_do_not_depend_on_training_row_order) {
  const auto [metric, weights, dim] = GetParam();
  const auto data = MakeTieHeavy(dim, 7 + dim);
  const auto model = KnnModel::Fit(data.rows, {5, metric, weights}, {});
  const auto base = model.PredictBatch(data.queries, data.query_count, true);
  size_t ties = 0;
  for (const auto& p : base) ties += p.decided_by_tie;
  EXPECT_GT(ties, 50u) << "the data should exercise the tie rule";
  std::vector<size_t> order(data.rows.rows());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(99);
  for (int round = 0; round < 3; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    const auto shuffled =
        KnnModel::Fit(Permute(data.rows, order), {5, metric, weights}, {});
    const auto got =
        shuffled.PredictBatch(data.queries, data.query_count, true);
    for (size_t q = 0; q < data.query_count; ++q) {
      // Bit-identical, not just close.
      ASSERT_EQ(got[q].value, base[q].value)
          << "query " << q << " round " << round;
      ASSERT_EQ(got[q].neighbour_count, base[q].neighbour_count);
      ASSERT_EQ(got[q].label_std, base[q].label_std);
      std::vector<size_t> got_rows, base_rows;
      for (size_t i = 0; i < got[q].neighbours.size(); ++i) {
        EXPECT_EQ(got[q].neighbours[i].distance,
                  base[q].neighbours[i].distance);
        EXPECT_EQ(got[q].neighbours[i].label, base[q].neighbours[i].label);
        got_rows.push_back(order[got[q].neighbours[i].row]);
        base_rows.push_back(base[q].neighbours[i].row);
      }
      std::sort(got_rows.begin(), got_rows.end());
      std::sort(base_rows.begin(), base_rows.end());
      EXPECT_EQ(got_rows, base_rows) << "query " << q;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, KnnShuffle,
    ::testing::Combine(::testing::Values(Metric::kCosine, Metric::kEuclidean),
                       ::testing::Values(Weights::kUniform, Weights::kDistance),
                       ::testing::Values(size_t{3}, size_t{400})));

TEST(Knn, batch_and_single_predictions_agree_and_weights_sum_to_one) {
  const auto data = MakeTieHeavy(16, 3);
  const auto model =
      KnnModel::Fit(data.rows, {5, Metric::kEuclidean, Weights::kDistance}, {});
  const auto batch = model.PredictBatch(data.queries, data.query_count, true);
  for (size_t q = 0; q < data.query_count; q += 17) {
    const auto one =
        model.Predict(std::span<const float>(data.queries).subspan(q * 16, 16));
    EXPECT_EQ(one.value, batch[q].value);
    double sum = 0;
    for (const auto& n : one.neighbours) sum += n.weight;
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
}

// Brute-force reference: the exact rule applied to all rows, no candidate
// pruning. Dense rows with a large offset (severe float32 cancellation in the
// norm expansion) go through sgemm in a batch; sparse rows (one-hot and hashed
// blocks) through the column sums; lone queries through the column sums
// either way.
TEST(Knn, candidate_pruning_never_loses_a_neighbour) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<size_t> pick(0, 63);
  for (const bool sparse : {false, true}) {
    for (Metric metric : {Metric::kCosine, Metric::kEuclidean}) {
      SCOPED_TRACE(fmt::format("{} {}", sparse ? "sparse" : "dense",
                               MetricName(metric)));
      TrainingRows rows;
      rows.dim = 64;
      for (size_t i = 0; i < 3000; ++i) {
        std::vector<float> row(rows.dim, sparse ? 0.0f : 100.0f);
        if (sparse) {
          for (int t = 0; t < 5; ++t) row[pick(rng)] += 1.0f;
          row[0] = normal(rng);
        } else {
          for (float& v : row) v += normal(rng);
        }
        rows.features.insert(rows.features.end(), row.begin(), row.end());
        rows.labels.push_back(i);
        rows.workloads.push_back("w");
      }
      const auto model =
          KnnModel::Fit(rows, {5, metric, Weights::kUniform}, {});
      std::vector<float> queries;
      for (size_t q = 0; q < 40; ++q) {
        const float* row = &rows.features[q * 37 * rows.dim];
        queries.insert(queries.end(), row, row + rows.dim);
        queries[q * rows.dim + q % rows.dim] += 0.01f;
      }
      const auto batch = model.PredictBatch(queries, 40, true);
      for (size_t q = 0; q < 40; ++q) {
        const std::span<const float> query(&queries[q * rows.dim], rows.dim);
        const auto p = model.Predict(query);
        // Exact distances to all rows in float64.
        std::vector<double> d(rows.rows());
        double qn = 0;
        for (float v : query) qn += double(v) * v;
        for (size_t j = 0; j < rows.rows(); ++j) {
          double s = 0, dot = 0, yn = 0;
          for (size_t i = 0; i < rows.dim; ++i) {
            const double y = rows.features[j * rows.dim + i];
            s += (query[i] - y) * (query[i] - y);
            dot += query[i] * y;
            yn += y * y;
          }
          d[j] = metric == Metric::kEuclidean ? std::sqrt(s)
                                              : 1 - dot / std::sqrt(qn * yn);
        }
        std::vector<double> sorted = d;
        std::nth_element(sorted.begin(), sorted.begin() + 4, sorted.end());
        const double kth = sorted[4];
        for (const auto& n : p.neighbours) EXPECT_LE(d[n.row], kth + 1e-9);
        EXPECT_NEAR(p.neighbours.back().distance, std::max(kth, 0.0), 1e-9);
        ASSERT_EQ(p.neighbours.size(), batch[q].neighbours.size());
        for (size_t i = 0; i < p.neighbours.size(); ++i) {
          EXPECT_EQ(p.neighbours[i].row, batch[q].neighbours[i].row);
          EXPECT_EQ(p.neighbours[i].distance, batch[q].neighbours[i].distance);
        }
        EXPECT_EQ(p.value, batch[q].value);
      }
    }
  }
}

}  // namespace
}  // namespace podpower::model
