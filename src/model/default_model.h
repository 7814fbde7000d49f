// podpower's default model: a KNN's neighbours, resource-normalised
// neighbours and simpler predictors (family median, family per core, a
// resource line, the global median), blended with weights chosen by grouped
// cross-validation (model/blend.h; docs/formats/model.md, "Default model").
//
// Why a blend: no single model wins everywhere. Where the spec carries the
// signal (busy cores follow the CPU request) the neighbours' watts per core
// transfer across sizes; where it does not (most pods request no CPU, or
// usage is unrelated to requests) the honest answer is a median. The blend
// weights come from out-of-fold predictions only, separately for workloads of
// a known software family (folds grouped by workload) and for new software
// (folds grouped by image family), so the model says how much it trusts each
// source for each case.
//
// Functions are thread-compatible (no shared state) and throw podpower::Error
// for bad input (no rows, fewer than 2 workloads, missing traits).
#ifndef PODPOWER_MODEL_DEFAULT_MODEL_H_
#define PODPOWER_MODEL_DEFAULT_MODEL_H_

#include <span>
#include <vector>

#include "model/blend.h"
#include "model/knn.h"

namespace podpower::model {

// Every candidate's value for `count` queries (row-major features, one traits
// entry per query) from a KNN fitted on rows with traits and the simple fits
// of the same rows. knn[i] carries its neighbours.
struct CandidatePredictions {
  std::vector<Prediction> knn;
  std::vector<CandidateValues> values;
  std::vector<PerCoreValue> per_core;
};
CandidatePredictions PredictCandidates(
    const KnnModel& knn, const SimpleFit& simple,
    std::span<const float> queries, size_t count,
    const std::vector<WorkloadTraits>& traits);

// The blend's inner cross-validation uses at most this many rows: whole
// workloads, chosen by a hash of their names (the same on every machine),
// until the next would pass it. Its cost grows with the square of the rows
// (brute-force neighbours in 10 inner folds), while a handful of weights need
// no more; the simple fits and the KNN still use every row.
constexpr size_t kMaxBlendRows = 2000;

// The indices of the rows the blend's inner CV uses (all when they are at
// most kMaxBlendRows), ascending.
std::vector<size_t> BlendSample(const std::vector<std::string>& workloads);

// The new-software blend's out-of-fold values from the inner folds by image
// family, for calibrating new-software intervals.
struct NewFamilyOutOfFold {
  std::vector<size_t> rows;       // indices into FitEnsemble's rows
  std::vector<double> predicted;  // one per entry of `rows`
};

// The ensemble for `rows` (which must have traits): inner GroupKFold by
// workload and by image family on BlendSample's rows, blends fitted on their
// out-of-fold candidate values, simple fits on all of `rows`. With
// `new_family`: filled as its comment says (empty with one family).
Ensemble FitEnsemble(const TrainingRows& rows, const KnnOptions& options,
                     NewFamilyOutOfFold* new_family = nullptr);

// FitEnsemble, then the KNN on all rows, with metadata.ensemble set. With a
// multiplicative metadata.interval, also its new-family quantiles
// (CalibrateNewFamilyInterval on the folds by family).
KnnModel FitDefaultModel(TrainingRows rows, const KnnOptions& options,
                         KnnMetadata metadata);

// Predictions of any model. With an ensemble and `traits` (one per query):
// the blend, its components and explanation, and the multiplicative interval
// for the query's kind; otherwise exactly KnnModel::PredictBatch.
std::vector<Prediction> PredictPower(const KnnModel& model,
                                     std::span<const float> queries,
                                     size_t count,
                                     const std::vector<WorkloadTraits>* traits,
                                     bool with_neighbours);

// Out-of-fold predictions of the whole default model (ensemble fitted inside
// each training fold: nested CV) under `fold_of_row` (0 .. folds-1 per row).
// Each fold's model predicts its test rows with neighbours.
std::vector<Prediction> DefaultOutOfFold(const TrainingRows& rows,
                                         const KnnOptions& options,
                                         const std::vector<int>& fold_of_row);

// The KNN options a fold of `train_rows` rows can use (k capped at the rows).
KnnOptions FoldOptions(const KnnOptions& options, size_t train_rows);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_DEFAULT_MODEL_H_
