// The calibrated prediction interval: conformal quantile, coverage on fresh
// data, and the artifact round trip.
#include "model/interval.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "model/knn.h"
#include "model/oracle_test_util.h"

namespace podpower::model {
namespace {

TEST(Interval, conformal_quantile_is_the_ceil_n_plus_1_level_th_score) {
  std::vector<double> s{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_EQ(ConformalQuantile(s, 0.8), 9.0);  // ceil(11 * 0.8) = 9
  EXPECT_EQ(ConformalQuantile(s, 0.95), 10.0);
  EXPECT_EQ(ConformalQuantile(s, 0.05), 1.0);
  EXPECT_TRUE(std::isinf(ConformalQuantile({}, 0.8)));
}

// Heteroscedastic noise whose scale the neighbour spread reflects: an interval
// calibrated on 2000 rows covers about 80% of 50000 fresh ones.
TEST(Interval, stated_80_percent_covers_about_80_percent_of_fresh_data) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> spread(0.2, 5.0);
  auto draw = [&](size_t n, std::vector<double>* y, std::vector<double>* p,
                  std::vector<double>* sd) {
    for (size_t i = 0; i < n; ++i) {
      const double s = spread(rng);
      p->push_back(100 * normal(rng));
      sd->push_back(s);
      y->push_back(p->back() + 1.3 * s * normal(rng));
    }
  };
  std::vector<double> y, p, sd;
  draw(2000, &y, &p, &sd);
  const auto c = CalibrateInterval(y, p, sd, 0.8);
  std::vector<double> y2, p2, sd2;
  draw(50000, &y2, &p2, &sd2);
  size_t inside = 0;
  for (size_t i = 0; i < y2.size(); ++i) {
    const auto iv = ApplyInterval(c, p2[i], sd2[i]);
    inside += y2[i] >= iv.low && y2[i] <= iv.high;
  }
  const double coverage = static_cast<double>(inside) / y2.size();
  EXPECT_NEAR(coverage, 0.8, 0.025);
}

// A kind with fewer than kMinRowsPerKind rows whose errors are larger than
// the others' (short Jobs among steady Deployments): the pooled quantile alone
// would leave most of its rows outside; it gets the wider of the pooled and
// its own quantile. A kind too small for a conformal quantile of its own
// (fewer than ceil(level / (1 - level)) = 4 rows at 80%) shares the pooled one.
TEST(Interval, small_kind_with_larger_errors_gets_its_own_wider_quantile) {
  std::vector<double> y, p;
  std::vector<std::string> kinds;
  for (int i = 0; i < 200; ++i) {  // Deployments: within ±10%
    p.push_back(100);
    y.push_back(100 * (1 + 0.1 * ((i % 21) - 10) / 10.0));
    kinds.push_back("Deployment");
  }
  for (int i = 0; i < 12; ++i) {  // Jobs: off by a factor of 2
    p.push_back(100);
    y.push_back(i % 2 == 0 ? 200 : 50);
    kinds.push_back("Job");
  }
  for (int i = 0; i < 3; ++i) {
    p.push_back(100);
    y.push_back(400);
    kinds.push_back("CronJob");
  }
  const auto c = CalibrateLogRatioInterval(y, p, kinds, 0.8);
  ASSERT_EQ(c.scale_by_kind.count("Job"), 1u);
  EXPECT_GT(c.scale_by_kind.at("Job"), c.scale);
  size_t inside = 0;
  for (size_t i = 200; i < 212; ++i) {
    const auto iv = ApplyInterval(c, p[i], 0, kinds[i]);
    inside += y[i] >= iv.low && y[i] <= iv.high;
  }
  EXPECT_EQ(inside, 12u);
  EXPECT_EQ(c.scale_by_kind.count("CronJob"), 0u);
  // Where the small kind's errors are smaller, it keeps the pooled width.
  for (size_t i = 200; i < 212; ++i) y[i] = 100;
  const auto tight = CalibrateLogRatioInterval(y, p, kinds, 0.8);
  ASSERT_EQ(tight.scale_by_kind.count("Job"), 1u);
  EXPECT_EQ(tight.scale_by_kind.at("Job"), tight.scale);
}

TEST(Interval, kind_backed_by_few_groups_is_pulled_towards_the_pooled_width) {
  // 40 Deployment rows within ±5% but from only 2 families; 100 StatefulSet
  // rows within ±50%. Per row the Deployments look certain; per family they
  // are 2 samples, and the next family may be as far off as anything else.
  std::vector<double> y, p;
  std::vector<std::string> kinds, families, rows_as_groups;
  for (int i = 0; i < 40; ++i) {
    p.push_back(100);
    y.push_back(100 * (1 + 0.05 * ((i % 11) - 5) / 5.0));
    kinds.push_back("Deployment");
    families.push_back(i % 2 ? "nginx" : "httpd");
  }
  for (int i = 0; i < 100; ++i) {
    p.push_back(100);
    y.push_back(100 * (1 + 0.5 * ((i % 11) - 5) / 5.0));
    kinds.push_back("StatefulSet");
    families.push_back("db" + std::to_string(i % 10));
  }
  for (size_t i = 0; i < y.size(); ++i)
    rows_as_groups.push_back(std::to_string(i));
  const auto by_row = CalibrateLogRatioInterval(y, p, kinds, 0.8);
  const auto by_family = CalibrateLogRatioInterval(y, p, kinds, 0.8, families);
  // One row per group is the same calibration as no groups.
  const auto one_per_row =
      CalibrateLogRatioInterval(y, p, kinds, 0.8, rows_as_groups);
  EXPECT_EQ(one_per_row.scale_by_kind, by_row.scale_by_kind);
  std::vector<double> deployment_scores;
  for (size_t i = 0; i < 40; ++i)
    deployment_scores.push_back(
        std::fabs(std::log((y[i] + by_row.epsilon) / (p[i] + by_row.epsilon))));
  const double own = ConformalQuantile(deployment_scores, 0.8);
  const double pooled = by_family.scale;
  ASSERT_LT(own, pooled);
  // One group per row: 40 groups against 4 for the pooled quantile (the
  // fewest rows with a conformal rank at 80%: ceil(5 · 0.8) = 4), so a small
  // pull.
  EXPECT_NEAR(by_row.scale_by_kind.at("Deployment"),
              (40 * own + 4 * pooled) / 44, 1e-12);
  // 2 families against 4: mostly the pooled width.
  EXPECT_NEAR(by_family.scale_by_kind.at("Deployment"),
              (2 * own + 4 * pooled) / 6, 1e-12);
  size_t inside_by_row = 0, inside_by_family = 0;
  for (size_t i = 0; i < 40; ++i) {
    // The next family, 20% off: only the family-aware width covers it.
    const double next = y[i] * 1.2;
    const auto a = ApplyInterval(by_row, p[i], 0, "Deployment");
    const auto b = ApplyInterval(by_family, p[i], 0, "Deployment");
    inside_by_row += next >= a.low && next <= a.high;
    inside_by_family += next >= b.low && next <= b.high;
  }
  EXPECT_EQ(inside_by_row, 0u);
  EXPECT_EQ(inside_by_family, 40u);
  // A kind with larger errors than the pool keeps its own, wider quantile.
  EXPECT_DOUBLE_EQ(by_family.scale_by_kind.at("StatefulSet"),
                   by_row.scale_by_kind.at("StatefulSet"));
  EXPECT_GE(by_family.scale_by_kind.at("StatefulSet"), pooled);
}

TEST(Interval, level_outside_0_1_is_rejected) {
  EXPECT_THROW(CalibrateInterval({1}, {1}, {0}, 1.0), std::exception);
  EXPECT_THROW(CalibrateInterval({}, {}, {}, 0.8), std::exception);
}

TEST(Interval, artifact_keeps_the_calibration_and_predictions_carry_it) {
  TrainingRows rows;
  rows.dim = 2;
  for (int i = 0; i < 20; ++i) {
    rows.features.push_back(static_cast<float>(i));
    rows.features.push_back(1.0f);
    rows.labels.push_back(i * 2.0);
    rows.workloads.push_back(fmt::format("w{}", i % 4));
  }
  KnnMetadata meta;
  meta.target = "avg_power_w";
  meta.interval.level = 0.8;
  meta.interval.scale = 1.7;
  meta.interval.floor = 0.25;
  const auto model =
      KnnModel::Fit(rows, {3, Metric::kEuclidean, Weights::kUniform}, meta);
  testing::TempDir dir;
  model.Save(dir / "m.knn");
  const auto loaded = KnnModel::Load(dir / "m.knn");
  EXPECT_EQ(loaded.metadata().interval.level, 0.8);
  EXPECT_EQ(loaded.metadata().interval.scale, 1.7);
  EXPECT_EQ(loaded.metadata().interval.floor, 0.25);
  const std::vector<float> q{4.2f, 1.0f};
  const auto p = loaded.Predict(q);
  ASSERT_TRUE(p.has_interval);
  EXPECT_EQ(p.interval_level, 0.8);
  EXPECT_DOUBLE_EQ(p.interval_low, p.value - 1.7 * (p.label_std + 0.25));
  EXPECT_DOUBLE_EQ(p.interval_high, p.value + 1.7 * (p.label_std + 0.25));
  // A model without calibration predicts no interval.
  KnnMetadata plain;
  const auto bare =
      KnnModel::Fit(rows, {3, Metric::kEuclidean, Weights::kUniform}, plain);
  EXPECT_FALSE(bare.Predict(q).has_interval);
}

}  // namespace
}  // namespace podpower::model
