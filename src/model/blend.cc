#include "model/blend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "model/metrics.h"

namespace podpower::model {
namespace {

// Weighted least squares for y = a + b·x1 + c·x2 on the rows `index`,
// dropping a regressor that is constant there (its coefficient stays 0).
// Solved on centred data so a large offset in x does not cost precision.
void WeightedLine(const std::vector<double>& y,
                  const std::vector<WorkloadTraits>& traits,
                  const std::vector<size_t>& index,
                  const std::vector<double>& weight, double* a, double* b,
                  double* c) {
  double sw = 0, my = 0, m1 = 0, m2 = 0;
  for (size_t j = 0; j < index.size(); ++j) {
    const size_t i = index[j];
    sw += weight[j];
    my += weight[j] * y[i];
    m1 += weight[j] * traits[i].cpu_cores;
    m2 += weight[j] * traits[i].gpus;
  }
  my /= sw;
  m1 /= sw;
  m2 /= sw;
  double s11 = 0, s22 = 0, s12 = 0, s1y = 0, s2y = 0;
  for (size_t j = 0; j < index.size(); ++j) {
    const size_t i = index[j];
    const double d1 = traits[i].cpu_cores - m1, d2 = traits[i].gpus - m2;
    const double dy = y[i] - my;
    s11 += weight[j] * d1 * d1;
    s22 += weight[j] * d2 * d2;
    s12 += weight[j] * d1 * d2;
    s1y += weight[j] * d1 * dy;
    s2y += weight[j] * d2 * dy;
  }
  *b = 0;
  *c = 0;
  const double det = s11 * s22 - s12 * s12;
  if (s11 > 0 && s22 > 0 && det > 1e-12 * s11 * s22) {
    *b = (s1y * s22 - s2y * s12) / det;
    *c = (s2y * s11 - s1y * s12) / det;
  } else if (s11 > 0) {
    *b = s1y / s11;
  } else if (s22 > 0) {
    *c = s2y / s22;
  }
  *a = my - *b * m1 - *c * m2;
}

// Least absolute deviations for y = a + b·cores + c·GPUs, by iteratively
// reweighted least squares (weights 1 / max(|residual|, δ)). The MAE-optimal
// line, and robust: a few very large workloads (GPU training Jobs) do not
// set the slope every other workload is predicted with.
void FitLine(const std::vector<double>& y,
             const std::vector<WorkloadTraits>& traits,
             const std::vector<size_t>& index, double* a, double* b,
             double* c) {
  std::vector<double> weight(index.size(), 1.0);
  WeightedLine(y, traits, index, weight, a, b, c);
  std::vector<double> magnitude;
  for (size_t i : index) magnitude.push_back(std::fabs(y[i]));
  const double delta = std::max(1e-9, 1e-6 * Median(std::move(magnitude)));
  for (int iteration = 0; iteration < 50; ++iteration) {
    for (size_t j = 0; j < index.size(); ++j) {
      const size_t i = index[j];
      const double r =
          y[i] - (*a + *b * traits[i].cpu_cores + *c * traits[i].gpus);
      weight[j] = 1 / std::max(std::fabs(r), delta);
    }
    WeightedLine(y, traits, index, weight, a, b, c);
  }
}

}  // namespace

std::string CandidateName(Candidate candidate) {
  switch (candidate) {
    case Candidate::kKnn:
      return "knn";
    case Candidate::kKnnPerCore:
      return "knn per core";
    case Candidate::kFamilyMedian:
      return "family median";
    case Candidate::kFamilyPerCore:
      return "family per core";
    case Candidate::kResourceLine:
      return "resource line";
    case Candidate::kGlobalMedian:
    default:
      return "global median";
  }
}

std::string CandidateName(size_t index) {
  return CandidateName(static_cast<Candidate>(index));
}

SimpleFit SimpleFit::Fit(const std::vector<double>& labels,
                         const std::vector<WorkloadTraits>& traits,
                         const std::vector<size_t>& index) {
  SimpleFit f;
  std::vector<double> y;
  y.reserve(index.size());
  std::map<std::string, std::vector<double>> by_family;
  for (size_t i : index) {
    y.push_back(labels[i]);
    if (!traits[i].family.empty())
      by_family[traits[i].family].push_back(labels[i]);
  }
  f.global_median = Median(y);
  for (auto& [family, values] : by_family)
    f.family_median[family] = Median(std::move(values));
  // A GPU coefficient learned from one family's GPUs would price every new
  // GPU family like that one (training Jobs and model servers differ
  // severalfold): the line gets a GPU term only when its GPU rows span at
  // least two families.
  std::set<std::string> gpu_families;
  for (size_t i : index)
    if (traits[i].gpus > 0) gpu_families.insert(traits[i].family);
  if (gpu_families.size() >= 2) {
    FitLine(labels, traits, index, &f.line_a, &f.line_b, &f.line_c);
  } else {
    std::vector<WorkloadTraits> no_gpus = traits;
    for (auto& t : no_gpus) t.gpus = 0;
    FitLine(labels, no_gpus, index, &f.line_a, &f.line_b, &f.line_c);
  }
  f.idle = std::clamp(f.line_a, 0.0, std::max(0.0, Quantile(y, 0.1)));
  std::map<std::string, std::vector<double>> intensities;
  for (size_t i : index) {
    if (traits[i].family.empty() || !(traits[i].cpu_cores > 0) ||
        traits[i].gpus > 0)
      continue;
    intensities[traits[i].family].push_back(std::max(0.0, labels[i] - f.idle) /
                                            traits[i].cpu_cores);
  }
  for (auto& [family, values] : intensities)
    f.family_intensity[family] = Median(std::move(values));
  // Where a family shows at least two sizes, its own line: its own idle part
  // and watts per core, instead of the cluster's idle.
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i : index) {
    if (!traits[i].family.empty() && traits[i].cpu_cores > 0 &&
        traits[i].gpus == 0)
      members[traits[i].family].push_back(i);
  }
  for (const auto& [family, rows] : members) {
    std::set<double> sizes;
    double smallest = labels[rows.front()];
    for (size_t i : rows) {
      sizes.insert(traits[i].cpu_cores);
      smallest = std::min(smallest, labels[i]);
    }
    if (rows.size() < 3 || sizes.size() < 2) continue;
    double a = 0, b = 0, c = 0;
    FitLine(labels, traits, rows, &a, &b, &c);
    if (!(b > 0)) continue;
    f.family_idle[family] = std::clamp(a, 0.0, std::max(0.0, smallest));
    f.family_intensity[family] = b;
  }
  return f;
}

double SimpleFit::FamilyMedian(const WorkloadTraits& query) const {
  auto it = family_median.find(query.family);
  return it == family_median.end() ? global_median : it->second;
}

double SimpleFit::FamilyPerCore(const WorkloadTraits& query) const {
  auto it = family_intensity.find(query.family);
  if (it == family_intensity.end() || !(query.cpu_cores > 0) || query.gpus > 0)
    return FamilyMedian(query);
  auto own_idle = family_idle.find(query.family);
  return (own_idle == family_idle.end() ? idle : own_idle->second) +
         it->second * query.cpu_cores;
}

double SimpleFit::ResourceLine(const WorkloadTraits& query) const {
  return std::max(0.0, line_a + line_b * query.cpu_cores + line_c * query.gpus);
}

PerCoreValue KnnPerCore(double knn_value, const std::vector<size_t>& rows,
                        const std::vector<double>& weights,
                        std::span<const double> labels,
                        const std::vector<WorkloadTraits>& traits,
                        const WorkloadTraits& query, double idle) {
  PerCoreValue out;
  out.value = knn_value;
  if (!(query.cpu_cores > 0) || query.gpus > 0) return out;
  double weight = 0, intensity = 0;
  for (size_t n = 0; n < rows.size(); ++n) {
    const WorkloadTraits& t = traits[rows[n]];
    if (!(t.cpu_cores > 0) || t.gpus > 0) continue;
    weight += weights[n];
    intensity +=
        weights[n] * std::max(0.0, labels[rows[n]] - idle) / t.cpu_cores;
  }
  if (!(weight > 0)) return out;
  out.intensity = intensity / weight;
  out.value = idle + out.intensity * query.cpu_cores;
  out.scaled = true;
  return out;
}

double BlendWeights::Apply(const CandidateValues& values) const {
  double s = 0;
  for (size_t c = 0; c < kCandidateCount; ++c) {
    if (w[c] != 0) s += w[c] * values[c];
  }
  return s;
}

std::string BlendWeights::Describe() const {
  std::string out;
  for (size_t c = 0; c < kCandidateCount; ++c) {
    if (w[c] < 0.005) continue;
    if (!out.empty()) out += " + ";
    out += fmt::format("{:.2f} {}", w[c], CandidateName(c));
  }
  return out;
}

BlendWeights FitBlend(const std::vector<CandidateValues>& predictions,
                      const std::vector<double>& truth,
                      const std::array<bool, kCandidateCount>& available,
                      const std::vector<std::string>& groups) {
  BlendWeights best;
  const size_t fallback = static_cast<size_t>(Candidate::kGlobalMedian);
  best.w[fallback] = 1;
  if (predictions.empty()) return best;
  const size_t n = predictions.size();
  // Rows -> group index (each row its own group when none are given).
  std::vector<size_t> group_of(n);
  size_t group_count = n;
  if (!groups.empty()) {
    std::map<std::string, size_t> index;
    for (const auto& g : groups) index.emplace(g, 0);
    size_t next = 0;
    for (auto& [name, i] : index) i = next++;
    for (size_t i = 0; i < n; ++i) group_of[i] = index[groups[i]];
    group_count = index.size();
  } else {
    for (size_t i = 0; i < n; ++i) group_of[i] = i;
  }
  if (group_count < kMinBlendGroups) return best;
  // Relative errors |ŷ − y| / (|y| + ε): scale-free, so a 10 W web server
  // counts as much as a 2 kW training Job, and the few largest workloads do
  // not set the weights every other prediction is made with.
  std::vector<double> scale(n);
  {
    std::vector<double> magnitude;
    for (double t : truth) magnitude.push_back(std::fabs(t));
    const double epsilon = std::max(1e-12, 0.05 * Median(std::move(magnitude)));
    for (size_t i = 0; i < n; ++i)
      scale[i] = 1 / (std::fabs(truth[i]) + epsilon);
  }
  // Every group weighs the same (rows of one workload or family are not
  // independent evidence, and a family with many workloads must not set the
  // weights for all the others): a row's weight is 1 / (its group's rows ×
  // groups), so weighted sums are means of group means.
  std::vector<size_t> group_rows(group_count, 0);
  for (size_t i = 0; i < n; ++i) ++group_rows[group_of[i]];
  for (size_t i = 0; i < n; ++i)
    scale[i] /= static_cast<double>(group_rows[group_of[i]] * group_count);
  std::vector<double> group_change(group_count);
  std::vector<double> current(n), trial_error(n);
  for (size_t i = 0; i < n; ++i)
    current[i] = scale[i] * std::fabs(best.Apply(predictions[i]) - truth[i]);
  // A move must beat the noise, not just the current weights: the mean
  // change of the relative errors (over groups) must be below minus
  // kBlendMoveStandardErrors standard errors of that change. Out-of-fold
  // errors of a candidate that adds nothing still differ from the median's by
  // chance, and each pass tries some thirty moves: at one standard error about
  // one in six useless moves would pass, and following chance is how a blend
  // loses to a median on new data.
  const auto better = [&](const std::vector<double>& errors,
                          const std::vector<double>& than, double z) {
    std::fill(group_change.begin(), group_change.end(), 0.0);
    double mean = 0;  // mean over groups of the group's mean change
    for (size_t i = 0; i < n; ++i) {
      group_change[group_of[i]] += errors[i] - than[i];
      mean += errors[i] - than[i];
    }
    // group_change[g] is the group's mean change / group_count.
    double var = 0;
    for (size_t g = 0; g < group_count; ++g) {
      const double d =
          group_change[g] * static_cast<double>(group_count) - mean;
      var += d * d;
    }
    const double se = std::sqrt(var / static_cast<double>(group_count - 1) /
                                static_cast<double>(group_count));
    return mean < 0 && mean < -z * se;
  };
  // Start from the best simple predictor: the global median, replaced by the
  // family median or the resource line when one of them beats it beyond the
  // noise (the better of the two when both do). These cannot overfit much and
  // are the baselines the blend must not lose to; a start taken on a chance
  // difference already loses to the median on new data.
  {
    const std::vector<double> median_error = current;
    double best_error = 0;
    for (size_t i = 0; i < n; ++i) best_error += current[i];
    for (Candidate c : {Candidate::kFamilyMedian, Candidate::kResourceLine}) {
      const size_t k = static_cast<size_t>(c);
      if (!available[k]) continue;
      double error = 0;
      for (size_t i = 0; i < n; ++i) {
        trial_error[i] = scale[i] * std::fabs(predictions[i][k] - truth[i]);
        error += trial_error[i];
      }
      if (error < best_error &&
          better(trial_error, median_error, kBlendStartStandardErrors)) {
        best_error = error;
        best.w = {};
        best.w[k] = 1;
        current = trial_error;
      }
    }
  }
  for (double step = 0.5; step >= 1.0 / 64; step /= 2) {
    for (bool improved = true; improved;) {
      improved = false;
      for (size_t from = 0; from < kCandidateCount; ++from) {
        for (size_t to = 0; to < kCandidateCount; ++to) {
          if (from == to || !available[to] || best.w[from] < step - 1e-12)
            continue;
          BlendWeights trial = best;
          trial.w[from] -= step;
          trial.w[to] += step;
          for (size_t i = 0; i < n; ++i)
            trial_error[i] =
                scale[i] * std::fabs(trial.Apply(predictions[i]) - truth[i]);
          if (better(trial_error, current, kBlendMoveStandardErrors)) {
            best = trial;
            current.swap(trial_error);
            improved = true;
          }
        }
      }
    }
  }
  for (double& v : best.w) v = std::max(0.0, v);
  return best;
}

}  // namespace podpower::model
