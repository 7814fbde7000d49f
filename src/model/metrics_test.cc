#include "model/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace podpower::model {
namespace {

// Edge cases from knn-reference.md section 6 (tested against sklearn 1.2.1).
TEST(R2Score, matches_sklearn_edge_cases) {
  EXPECT_TRUE(std::isnan(R2Score({1}, {1})));
  EXPECT_EQ(R2Score({2, 2, 2}, {2, 2, 2}), 1.0);
  EXPECT_EQ(R2Score({2, 2, 2}, {2, 2, 3}), 0.0);
  EXPECT_EQ(R2Score({1, 2, 3}, {2, 2, 2}), 0.0);
  EXPECT_EQ(R2Score({1, 2, 3}, {3, 2, 1}), -3.0);
}

TEST(Metrics, mae_and_population_std) {
  EXPECT_DOUBLE_EQ(MeanAbsoluteError({1, 2, 3}, {2, 2, 5}), 1.0);
  EXPECT_DOUBLE_EQ(PopulationStd({1, 3}), 1.0);
}

}  // namespace
}  // namespace podpower::model
