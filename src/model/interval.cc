#include "model/interval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "io/error.h"
#include "model/metrics.h"

namespace podpower::model {
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

namespace {

// CalibrateLogRatioInterval with a given epsilon (<= 0: 5% of the median
// |truth|), so that a second set of quantiles shares the first one's scale.
IntervalCalibration LogRatioQuantiles(const std::vector<double>& truth,
                                      const std::vector<double>& predicted,
                                      const std::vector<std::string>& kinds,
                                      double level,
                                      const std::vector<std::string>& groups,
                                      double epsilon) {
  if (!(level > 0 && level < 1)) {
    throw Error(fmt::format(
        "--interval-level: expected a value in (0, 1), got {}", level));
  }
  if (truth.empty() || truth.size() != predicted.size() ||
      truth.size() != kinds.size() ||
      (!groups.empty() && groups.size() != truth.size())) {
    throw Error("interval calibration: no out-of-fold predictions");
  }
  IntervalCalibration c;
  c.level = level;
  c.method = IntervalMethod::kLogRatioByKind;
  c.epsilon = epsilon;
  if (!(c.epsilon > 0)) {
    std::vector<double> magnitude(truth.size());
    for (size_t i = 0; i < truth.size(); ++i)
      magnitude[i] = std::fabs(truth[i]);
    c.epsilon = 0.05 * Median(std::move(magnitude));
  }
  if (!(c.epsilon > 0)) c.epsilon = 1e-9;
  std::vector<double> pooled(truth.size());
  struct KindScores {
    std::vector<double> scores;
    std::set<std::string> groups;  // empty when every row is its own group
  };
  std::map<std::string, KindScores> by_kind;
  for (size_t i = 0; i < truth.size(); ++i) {
    pooled[i] = std::fabs(std::log((std::max(truth[i], 0.0) + c.epsilon) /
                                   (std::max(predicted[i], 0.0) + c.epsilon)));
    KindScores& k = by_kind[kinds[i]];
    k.scores.push_back(pooled[i]);
    if (!groups.empty()) k.groups.insert(groups[i]);
  }
  c.scale = ConformalQuantile(std::move(pooled), level);
  // The fewest rows whose conformal rank ceil((n + 1) · level) is within n,
  // computed as ConformalQuantile computes the rank (4 at 0.8).
  size_t fewest = 1;
  while (static_cast<size_t>(
             std::ceil(static_cast<double>(fewest + 1) * level)) > fewest)
    ++fewest;
  for (auto& [kind, k] : by_kind) {
    const size_t rows = k.scores.size();
    const double own = ConformalQuantile(std::move(k.scores), level);
    if (rows >= kMinRowsPerKind) {
      // A kind's quantile rests on its groups, not its rows: a kind whose
      // rows come from a few workloads or families (new software held out
      // whole) is narrow on them and misses the next one. Where its own
      // quantile is the narrower, it is pulled up towards the pooled one as
      // if the pooled one were `fewest` more groups; never down, since a
      // kind whose errors are larger (short Jobs) needs its own width.
      const double m =
          static_cast<double>(groups.empty() ? rows : k.groups.size());
      const double prior = static_cast<double>(fewest);
      c.scale_by_kind[kind] =
          std::max(own, (m * own + prior * c.scale) / (m + prior));
    } else if (rows >= fewest) {
      // A kind with few rows is still not covered by a pooled quantile
      // fitted mostly on other kinds (its errors may be larger: short Jobs,
      // new software). Its own conformal quantile is valid once it has
      // enough rows for one, but varies much from sample to sample: the
      // wider of the two.
      c.scale_by_kind[kind] = std::max(c.scale, own);
    }
  }
  return c;
}

}  // namespace

IntervalCalibration CalibrateLogRatioInterval(
    const std::vector<double>& truth, const std::vector<double>& predicted,
    const std::vector<std::string>& kinds, double level,
    const std::vector<std::string>& groups) {
  return LogRatioQuantiles(truth, predicted, kinds, level, groups, 0);
}

void CalibrateNewFamilyInterval(const std::vector<double>& truth,
                                const std::vector<double>& predicted,
                                const std::vector<std::string>& kinds,
                                const std::vector<std::string>& families,
                                IntervalCalibration* calibration) {
  // One epsilon serves both quantile sets in ApplyInterval.
  IntervalCalibration c =
      LogRatioQuantiles(truth, predicted, kinds, calibration->level, families,
                        calibration->epsilon);
  calibration->new_family_scale = c.scale;
  calibration->new_family_scale_by_kind = std::move(c.scale_by_kind);
}

Interval ApplyInterval(const IntervalCalibration& calibration, double value,
                       double label_std, const std::string& kind,
                       bool new_family) {
  if (calibration.method == IntervalMethod::kLogRatioByKind) {
    const bool use_new = new_family && calibration.new_family_scale.has_value();
    const auto& by_kind = use_new ? calibration.new_family_scale_by_kind
                                  : calibration.scale_by_kind;
    auto it = by_kind.find(kind);
    const double q = it != by_kind.end() ? it->second
                     : use_new           ? *calibration.new_family_scale
                                         : calibration.scale;
    const double base = std::max(value, 0.0) + calibration.epsilon;
    return {std::max(0.0, base * std::exp(-q) - calibration.epsilon),
            base * std::exp(q) - calibration.epsilon};
  }
  const double half = calibration.scale * (label_std + calibration.floor);
  return {value - half, value + half};
}

}  // namespace podpower::model
