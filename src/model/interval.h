// Prediction intervals, calibrated on cross-validation residuals
// (split-conformal).
//
// Models since format version 2 use multiplicative intervals: power is never
// negative and spans decades, so the score is the log ratio
// |ln((y + ε) / (ŷ + ε))| and the interval is [(ŷ + ε)e^-q − ε, (ŷ + ε)e^q − ε]
// clipped at 0, with q the conformal quantile of the scores. q is calibrated
// per workload kind where a kind has at least kMinRowsPerKind out-of-fold rows
// (Mondrian conformal: coverage holds per kind, not just on average), pulled
// up towards the pooled q when its rows come from few workloads or families;
// a kind with fewer rows, but enough for a conformal quantile of its own,
// gets the wider of that and the pooled q; smaller kinds the pooled q.
//
// Version 1 models carry the older additive form: a prediction's interval is
// value ± scale · (label_std + floor), where label_std is the weighted spread
// of the neighbours' labels. `scale` is the conformal quantile of the
// out-of-fold scores |y − ŷ| / (label_std + floor), so on data like the
// calibration set about `level` of true values fall inside. `floor` keeps the
// width above zero when all neighbours agree (identical labels), which is
// common when many rows repeat one workload. Method and limits:
// docs/formats/evaluate.md, "Prediction interval". Pure functions, thread-safe.
#ifndef PODPOWER_MODEL_INTERVAL_H_
#define PODPOWER_MODEL_INTERVAL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace podpower::model {

enum class IntervalMethod { kNeighbourSpread, kLogRatioByKind };

// Kinds with fewer out-of-fold rows share the pooled quantile.
constexpr size_t kMinRowsPerKind = 20;

struct IntervalCalibration {
  double level = 0;  // target coverage in (0, 1); 0 = no interval
  IntervalMethod method = IntervalMethod::kNeighbourSpread;
  // kNeighbourSpread: conformal quantile of the normalised residuals, and
  // the floor added to label_std before scaling (target units).
  double scale = 0;
  double floor = 0;
  // kLogRatioByKind: ε (target units, 5% of the median |label|) and the
  // log-ratio quantile per kind; `scale` is the pooled quantile.
  double epsilon = 0;
  std::map<std::string, double> scale_by_kind;
  // kLogRatioByKind, default models: the quantiles for software of an image
  // family the model never saw, calibrated on folds that held whole families
  // out (its errors are larger than a known family's: the intensity of new
  // software is a guess). Absent (one family, or a model from before): the
  // known-software quantiles above apply.
  std::optional<double> new_family_scale;
  std::map<std::string, double> new_family_scale_by_kind;
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

// Multiplicative, per-kind calibration (kLogRatioByKind) from out-of-fold
// truth/prediction/kind triples (same sizes). `groups` (same size, or empty
// = one group per row) names what the folds held out whole (workloads or
// image families): a kind whose rows come from few groups has its quantile
// pulled up towards the pooled one. Throws like CalibrateInterval.
IntervalCalibration CalibrateLogRatioInterval(
    const std::vector<double>& truth, const std::vector<double>& predicted,
    const std::vector<std::string>& kinds, double level,
    const std::vector<std::string>& groups = {});

// Sets calibration->new_family_scale(_by_kind) from out-of-fold predictions
// of folds grouped by image family (`families`, same size as the others),
// as CalibrateLogRatioInterval with those groups and the epsilon of
// `calibration` (a kLogRatioByKind calibration; the rows may be a sample of
// its rows).
void CalibrateNewFamilyInterval(const std::vector<double>& truth,
                                const std::vector<double>& predicted,
                                const std::vector<std::string>& kinds,
                                const std::vector<std::string>& families,
                                IntervalCalibration* calibration);

// kNeighbourSpread: value ± scale · (label_std + floor). kLogRatioByKind: the
// multiplicative interval around max(value, 0) with the quantile of `kind`
// (the pooled one for a kind without its own; the new-family quantiles when
// `new_family` and the calibration has them), low clipped at 0.
Interval ApplyInterval(const IntervalCalibration& calibration, double value,
                       double label_std, const std::string& kind = "",
                       bool new_family = false);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_INTERVAL_H_
