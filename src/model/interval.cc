#include "model/interval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/error.h"

namespace podpower::model {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

double ConformalQuantile(std::vector<double> scores, double level) {
  if (scores.empty()) return std::numeric_limits<double>::infinity();
  std::sort(scores.begin(), scores.end());
  const double n = static_cast<double>(scores.size());
  size_t rank = static_cast<size_t>(std::ceil((n + 1) * level));
  rank = std::clamp<size_t>(rank, 1, scores.size());
  return scores[rank - 1];
}

IntervalCalibration CalibrateInterval(const std::vector<double>& truth,
                                      const std::vector<double>& predicted,
                                      const std::vector<double>& label_std,
                                      double level) {
  if (!(level > 0 && level < 1)) {
    throw Error(
        fmt::format("--interval-level: expected a value in (0, 1), "
                    "got {}",
                    level));
  }
  if (truth.empty() || truth.size() != predicted.size() ||
      truth.size() != label_std.size()) {
    throw Error("interval calibration: no out-of-fold predictions");
  }
  IntervalCalibration c;
  c.level = level;
  c.floor = Median(label_std);
  if (!(c.floor > 0)) {
    std::vector<double> magnitude(truth.size());
    for (size_t i = 0; i < truth.size(); ++i)
      magnitude[i] = std::fabs(truth[i]);
    c.floor = 1e-6 * (1 + Median(std::move(magnitude)));
  }
  std::vector<double> scores(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    scores[i] = std::fabs(truth[i] - predicted[i]) / (label_std[i] + c.floor);
  }
  c.scale = ConformalQuantile(std::move(scores), level);
  return c;
}

Interval ApplyInterval(const IntervalCalibration& calibration, double value,
                       double label_std) {
  const double half = calibration.scale * (label_std + calibration.floor);
  return {value - half, value + half};
}

}  // namespace podpower::model
