// Prediction intervals for KNN predictions, calibrated on cross-validation
// residuals (split-conformal with a neighbour-spread scale).
//
// A prediction's interval is value ± scale · (label_std + floor), where
// label_std is the weighted spread of the neighbours' labels. `scale` is the
// conformal quantile of the out-of-fold scores |y − ŷ| / (label_std + floor),
// so on data like the calibration set about `level` of true values fall inside.
// `floor` keeps the width above zero when all neighbours agree (identical
// labels), which is common when many rows repeat one workload. Method and
// limits: docs/formats/evaluate.md, "Prediction interval". Pure functions,
// thread-safe.
#ifndef PODPOWER_MODEL_INTERVAL_H_
#define PODPOWER_MODEL_INTERVAL_H_

#include <vector>

namespace podpower::model {

struct IntervalCalibration {
  double level = 0;  // target coverage in (0, 1); 0 = no interval
  double scale = 0;  // conformal quantile of the normalised residuals
  double floor = 0;  // added to label_std before scaling (target units)
  bool enabled() const { return level > 0; }
};

// The ceil((n + 1) · level)-th smallest of `scores` (the largest when that
// exceeds n): the split-conformal quantile. Empty input -> +inf.
double ConformalQuantile(std::vector<double> scores, double level);

// Calibrates on out-of-fold truth/prediction/label_std triples (same sizes).
// floor = median of label_std, or 1e-6 · (1 + median |truth|) when that is 0.
// Throws podpower::Error when level is not in (0, 1) or there are no rows.
IntervalCalibration CalibrateInterval(const std::vector<double>& truth,
                                      const std::vector<double>& predicted,
                                      const std::vector<double>& label_std,
                                      double level);

struct Interval {
  double low = 0;
  double high = 0;
};

// value ± scale · (label_std + floor).
Interval ApplyInterval(const IntervalCalibration& calibration, double value,
                       double label_std);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_INTERVAL_H_
