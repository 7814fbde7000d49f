#include "model/search.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "io/error.h"
#include "io/progress.h"
#include "model/group_kfold.h"

namespace podpower::model {
namespace {

size_t DistinctWorkloads(const TrainingRows& rows) {
  return std::set<std::string>(rows.workloads.begin(), rows.workloads.end())
      .size();
}

// Best setting by GroupCvMae; NaN best_mae when none fits.
SettingScore Best(const TrainingRows& rows, const SearchSpace& space,
                  std::vector<SettingScore>* all) {
  SettingScore best{{}, std::numeric_limits<double>::quiet_NaN()};
  for (int k : space.k) {
    for (Metric m : space.metrics) {
      for (Weights w : space.weights) {
        const KnnOptions o{k, m, w};
        const double mae = GroupCvMae(rows, o);
        if (std::isnan(mae)) continue;
        if (all != nullptr) all->push_back({o, mae});
        if (std::isnan(best.mae) || mae < best.mae) best = {o, mae};
      }
    }
  }
  return best;
}

}  // namespace

std::string DescribeOptions(const KnnOptions& o) {
  return fmt::format("k={}, {}, {}", o.k, MetricName(o.metric),
                     WeightsName(o.weights));
}

double GroupCvMae(const TrainingRows& rows, const KnnOptions& options) {
  const size_t groups = DistinctWorkloads(rows);
  if (groups < 2) return std::numeric_limits<double>::quiet_NaN();
  const int folds = static_cast<int>(std::min<size_t>(5, groups));
  const auto fold = GroupKFoldAssign(rows.workloads, folds);
  double abs_sum = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.rows(); ++i)
      (fold[i] == f ? test : train).push_back(i);
    if (train.size() < static_cast<size_t>(options.k))
      return std::numeric_limits<double>::quiet_NaN();
    const auto model = KnnModel::Fit(rows.Subset(train), options, {});
    const auto test_rows = rows.Subset(test);
    const auto p = model.PredictBatch(test_rows.features, test.size(), false);
    for (size_t i = 0; i < test.size(); ++i)
      abs_sum += std::fabs(p[i].value - test_rows.labels[i]);
  }
  return abs_sum / static_cast<double>(rows.rows());
}

SearchResult SearchKnn(const TrainingRows& rows, const SearchSpace& space) {
  const size_t groups = DistinctWorkloads(rows);
  if (groups < 2) {
    throw Error(fmt::format(
        "--search needs at least 2 workloads (workload_name), got {}", groups));
  }
  SearchResult result;
  const SettingScore best = Best(rows, space, &result.scores);
  if (std::isnan(best.mae))
    throw Error("--search: no setting fits the folds (too few rows for k)");
  result.best = best.options;
  result.best_mae = best.mae;
  // Nested: each outer fold chooses on its own training rows only.
  const int folds = static_cast<int>(std::min<size_t>(5, groups));
  const auto fold = GroupKFoldAssign(rows.workloads, folds);
  io::Progress progress("nested search folds", static_cast<uint64_t>(folds));
  double abs_sum = 0;
  size_t counted = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.rows(); ++i)
      (fold[i] == f ? test : train).push_back(i);
    const TrainingRows train_rows = rows.Subset(train);
    SettingScore inner = Best(train_rows, space, nullptr);
    if (std::isnan(inner.mae)) inner = best;  // one workload left: no inner CV
    result.outer_choices.push_back(inner.options);
    if (train.size() < static_cast<size_t>(inner.options.k)) continue;
    const auto model = KnnModel::Fit(train_rows, inner.options, {});
    const auto test_rows = rows.Subset(test);
    const auto p = model.PredictBatch(test_rows.features, test.size(), false);
    for (size_t i = 0; i < test.size(); ++i) {
      abs_sum += std::fabs(p[i].value - test_rows.labels[i]);
      ++counted;
    }
    progress.Advance();
  }
  result.nested_mae = counted ? abs_sum / static_cast<double>(counted)
                              : std::numeric_limits<double>::quiet_NaN();
  return result;
}

}  // namespace podpower::model
