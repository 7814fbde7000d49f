// The pieces of podpower's default model: six candidate predictors and the
// convex blend that combines them (docs/formats/model.md, "Default model").
//
// Candidates, each a different bet on what a workload's spec says about its
// power:
//   knn            the neighbours' labels (the original tool's model);
//   knn per core   the neighbours' intensity (label above the idle part, per
//                  requested CPU core) times the workload's own cores, plus
//                  the idle part: transfers between sizes of one software;
//   family median  the median label of the training rows of the same image
//                  family (the global median for an unseen family);
//   family per core  the family's own line (idle + watts per core, least
//                  absolute deviations) where its rows show two sizes, else
//                  its median intensity (label above idle per requested core)
//                  times the workload's own cores plus the cluster's idle
//                  (the family median where neither is known);
//   resource line  least absolute deviations a + b·cores + c·GPUs;
//   global median  the median training label.
// A blend is a weight per candidate, non-negative and summing to 1, fitted on
// out-of-fold predictions only. Plain data and pure functions: thread-safe.
#ifndef PODPOWER_MODEL_BLEND_H_
#define PODPOWER_MODEL_BLEND_H_

#include <array>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/workload_traits.h"

namespace podpower::model {

enum class Candidate {
  kKnn,
  kKnnPerCore,
  kFamilyMedian,
  kFamilyPerCore,
  kResourceLine,
  kGlobalMedian
};
constexpr size_t kCandidateCount = 6;
using CandidateValues = std::array<double, kCandidateCount>;

// "knn", "knn per core", "family median", "family per core", "resource
// line", "global median".
std::string CandidateName(Candidate candidate);
std::string CandidateName(size_t index);

// The simple candidates and the idle part, fitted on training labels and
// traits. Never negative predictions: power is not.
struct SimpleFit {
  double global_median = 0;
  std::map<std::string, double> family_median;  // known families only
  // Median (label − idle)⁺ / cores over a family's rows that request CPU
  // and no GPU.
  std::map<std::string, double> family_intensity;
  // A family's own idle part, where its rows show two or more sizes (then
  // family_intensity is the slope of its own least-absolute-deviations line).
  std::map<std::string, double> family_idle;
  double line_a = 0, line_b = 0, line_c = 0;  // a + b·cores + c·GPUs
  // Watts (target units) a workload draws whatever its size: the resource
  // line's intercept, clipped to [0, 10th percentile of the labels] so it
  // never exceeds what small workloads really draw.
  double idle = 0;

  // Fits on rows `index` of labels/traits (same sizes; index non-empty).
  static SimpleFit Fit(const std::vector<double>& labels,
                       const std::vector<WorkloadTraits>& traits,
                       const std::vector<size_t>& index);
  double FamilyMedian(const WorkloadTraits& query) const;
  double FamilyPerCore(const WorkloadTraits& query) const;
  double ResourceLine(const WorkloadTraits& query) const;
};

// knn per core from one query's neighbours (row indices into training
// labels/traits, with their KNN weights). Neighbours that request no CPU carry
// no intensity and are left out (the others' weights renormalised); when the
// query requests no CPU, or no neighbour does, it is the plain KNN value:
// there is no size to scale by. GPUs draw power the CPU request does not
// describe, so GPU workloads are never scaled by cores (neither as query nor
// as neighbour); their size enters through the resource line's GPU term.
// `intensity` is the weighted mean per-core part (0 when not scaled).
struct PerCoreValue {
  double value = 0;
  double intensity = 0;
  bool scaled = false;
};
PerCoreValue KnnPerCore(double knn_value, const std::vector<size_t>& rows,
                        const std::vector<double>& weights,
                        std::span<const double> labels,
                        const std::vector<WorkloadTraits>& traits,
                        const WorkloadTraits& query, double idle);

struct BlendWeights {
  CandidateValues w{};  // >= 0, sum 1
  double Apply(const CandidateValues& values) const;
  // "0.60 knn per core + 0.40 family median" (weights below 0.005 left out).
  std::string Describe() const;
};

// Weights lowering the mean relative error |ŷ − y| / (|y| + ε) of the blend
// against `truth` (ε = 5% of the median |y|) over the simplex. `groups` (one
// per row, e.g. the workload or the family) make every group weigh the same
// and the evidence one of group means: rows of one workload are not
// independent evidence, and a family with many workloads must not set the
// weights for all others. Empty: every row is its own group. The start is
// the global median, replaced by the family median or the resource line when
// it beats the median by more than kBlendStartStandardErrors standard errors
// of the paired change; then coordinate moves of halving size (1/2 .. 1/64)
// between candidates, each taken only when it lowers the error by more than
// kBlendMoveStandardErrors standard errors (some thirty moves are tried per
// pass: at one standard error, one useless move in six would pass). So chance
// differences in out-of-fold errors do not move weight, and the blend falls
// back to the baselines it must not lose to. Deterministic. Candidates marked
// unavailable keep weight 0. Empty input, or fewer than kMinBlendGroups
// groups: the global median (so few cannot tell candidates apart).
constexpr size_t kMinBlendGroups = 8;
constexpr double kBlendMoveStandardErrors = 2;
constexpr double kBlendStartStandardErrors = 1;
constexpr std::array<bool, kCandidateCount> kAllCandidates{true, true, true,
                                                           true, true, true};
BlendWeights FitBlend(
    const std::vector<CandidateValues>& predictions,
    const std::vector<double>& truth,
    const std::array<bool, kCandidateCount>& available = kAllCandidates,
    const std::vector<std::string>& groups = {});

// What a default model stores besides the KNN: the simple fits and two
// blends, one for workloads whose family the training rows know ("seen") and
// one for new software ("unseen"), each fitted on the out-of-fold predictions
// of the matching grouping (by workload, by family).
struct Ensemble {
  SimpleFit simple;
  BlendWeights seen, unseen;
  size_t seen_rows = 0, unseen_rows = 0;  // out-of-fold rows behind each
};

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_BLEND_H_
