#include "model/metrics.h"

#include <algorithm>
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

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(position));
  const size_t high = std::min(low + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(low);
  // numpy's form: a + (b - a) * t, so the median of two equal values is exact.
  return values[low] + (values[high] - values[low]) * fraction;
}

}  // namespace podpower::model
