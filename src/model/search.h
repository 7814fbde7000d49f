// Choosing the KNN's settings (k, metric, weights) by grouped cross-validation,
// with an honest estimate of how well the choosing itself generalises (nested
// CV).
//
// `evaluate --search` prints the result; `train --auto` trains with `best`.
// Thread-compatible, no shared state; throws podpower::Error when fewer than 2
// workloads or no setting fits the folds.
#ifndef PODPOWER_MODEL_SEARCH_H_
#define PODPOWER_MODEL_SEARCH_H_

#include <string>
#include <vector>

#include "model/knn.h"

namespace podpower::model {

struct SearchSpace {
  std::vector<int> k{1, 3, 5, 7, 10};
  std::vector<Metric> metrics{Metric::kCosine, Metric::kEuclidean};
  std::vector<Weights> weights{Weights::kUniform, Weights::kDistance};
};

struct SettingScore {
  KnnOptions options;
  double mae = 0;  // pooled out-of-fold MAE under GroupKFold(min(5, groups))
};

struct SearchResult {
  KnnOptions best;                   // lowest CV MAE on all rows
  double best_mae = 0;               // its CV MAE (optimistic: it was chosen)
  std::vector<SettingScore> scores;  // every setting that fit the folds
  double nested_mae = 0;             // outer-fold MAE of inner-CV choices
  std::vector<KnnOptions>
      outer_choices;  // what each outer fold's inner CV chose
};

// Pooled out-of-fold MAE of `options` under GroupKFold(min(5, groups)); NaN
// when a training fold has fewer than k rows.
double GroupCvMae(const TrainingRows& rows, const KnnOptions& options);

SearchResult SearchKnn(const TrainingRows& rows, const SearchSpace& space);

// "k=5, cosine, uniform".
std::string DescribeOptions(const KnnOptions& options);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_SEARCH_H_
