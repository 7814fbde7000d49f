#include "model/metrics.h"

#include <cmath>
#include <limits>

namespace podpower::model {

double Mean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double v : values) s += v;
  return s / static_cast<double>(values.size());
}

double PopulationStd(const std::vector<double>& values) {
  const double mean = Mean(values);
  double s = 0;
  for (double v : values) s += (v - mean) * (v - mean);
  return std::sqrt(s / static_cast<double>(values.size()));
}

double MeanAbsoluteError(const std::vector<double>& truth,
                         const std::vector<double>& predicted) {
  std::vector<double> err(truth.size());
  for (size_t i = 0; i < truth.size(); ++i)
    err[i] = std::fabs(truth[i] - predicted[i]);
  return Mean(err);
}

double R2Score(const std::vector<double>& truth,
               const std::vector<double>& predicted) {
  if (truth.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mean = Mean(truth);
  double residual = 0, total = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    residual += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    total += (truth[i] - mean) * (truth[i] - mean);
  }
  if (total == 0) return residual == 0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

}  // namespace podpower::model
