// Simple predictors the KNN must beat, fitted on a training fold and applied
// to its test fold.
//
// training mean and median (numpy semantics: the median of an even count is
// the mean of the middle two), per-family median (the median of the training
// rows of the same image family; the training median for an unseen or unknown
// family), and an ordinary least-squares line on the CPU request (the training
// mean when every training CPU request is equal). Pure functions, thread-safe.
#ifndef PODPOWER_EVALUATE_BASELINES_H_
#define PODPOWER_EVALUATE_BASELINES_H_

#include <string>
#include <vector>

#include "model/metrics.h"

namespace podpower::evaluate {

enum class Baseline { kTrainingMean, kTrainingMedian, kFamilyMedian, kCpuLine };

// "training mean", "training median", "per-family median", "linear on CPU
// request".
std::string BaselineName(Baseline baseline);

// What baselines see of the rows: labels, image family ("" = unknown) and CPU
// request (any affine unit: the fit's predictions do not depend on it).
struct BaselineInputs {
  std::vector<double> labels;
  std::vector<std::string> families;
  std::vector<double> cpu;
};

// Predictions for rows `test`, fitted on rows `train` (non-empty).
std::vector<double> PredictBaseline(Baseline baseline,
                                    const BaselineInputs& inputs,
                                    const std::vector<size_t>& train,
                                    const std::vector<size_t>& test);

// numpy's median (model/metrics.h), shared with the default model.
using model::Median;

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_BASELINES_H_
