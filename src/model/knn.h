// KnnModel: an exact, training-order-independent k-nearest-neighbours
// regressor.
//
// It predicts like scikit-learn 1.2.1's KNeighborsRegressor (brute force,
// metric cosine or euclidean, weights uniform or distance) with one deliberate
// difference: ties. sklearn picks an arbitrary subset of the rows tied at the
// k-th distance; KnnModel lets all of them share the remaining slots
// (docs/formats/model.md, "Tie rule"), so predictions never depend on the order
// of the training rows. Distances are recomputed exactly in float64 for every
// candidate, so identical rows get bit-identical distances wherever they sit.
//
// A KnnModel owns copies of its training data. It is immutable after Fit/Load:
// const methods are safe to call from many threads at once. PredictBatch with
// more than one block of queries runs the blocks on OpenMP threads, each with
// a single-threaded OpenBLAS sgemm: while such calls run, OpenBLAS's
// process-wide thread count is 1 (restored afterwards). Each calling thread
// keeps a few MB of score buffers (thread_local) for reuse.
#ifndef PODPOWER_MODEL_KNN_H_
#define PODPOWER_MODEL_KNN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/blend.h"
#include "model/interval.h"
#include "model/workload_traits.h"

namespace podpower::model {

enum class Metric { kCosine, kEuclidean };
enum class Weights { kUniform, kDistance };

// "cosine"/"euclidean", "uniform"/"distance"; the Parse functions throw
// podpower::Error naming `flag` and the accepted values.
std::string MetricName(Metric metric);
std::string WeightsName(Weights weights);
Metric ParseMetric(const std::string& text, const std::string& flag);
Weights ParseWeights(const std::string& text, const std::string& flag);

struct KnnOptions {
  int k = 5;
  Metric metric = Metric::kCosine;  // the original tool's default
  Weights weights = Weights::kUniform;
};

// What the model was trained on; stored in the artifact so predict/serve can
// check inputs.
struct KnnMetadata {
  std::string target;  // avg_power_w, energy_step_j or total_energy_j
  std::string encoder_fingerprint;  // opaque string from the caller (which
                                    // encoder made features)
  bool aggregated =
      false;           // rows were averaged per (workload, spec) before fitting
  std::string source;  // training file, for humans
  // Prediction interval calibrated on the training CV (model/interval.h);
  // disabled in models trained before it existed.
  IntervalCalibration interval = {};
  // The default model's candidates and blends (model/default_model.h); absent
  // for `--learner knn` and for models of format version 1, which predict
  // with the KNN alone.
  std::optional<Ensemble> ensemble;
};

// The training rows a model is fitted on: row-major float32 features, one label
// and one workload name (the CV group) per row.
struct TrainingRows {
  std::vector<float> features;  // rows() * dim values
  size_t dim = 0;
  std::vector<double> labels;
  std::vector<std::string> workloads;
  // Per row, what the default model needs besides the features (cores, GPUs,
  // family, kind); empty when the training table did not say.
  std::vector<WorkloadTraits> traits;
  size_t rows() const { return labels.size(); }
  bool has_traits() const { return !traits.empty(); }
  // The rows at `index`, in that order (a CV fold's training or test part).
  TrainingRows Subset(const std::vector<size_t>& index) const;
};

struct Neighbour {
  size_t row = 0;        // index into the model's training rows
  std::string workload;  // that row's workload name
  double distance = 0;   // exact float64 distance
  double label = 0;
  double weight = 0;  // normalised: weights of one prediction sum to 1
};

struct Prediction {
  double value = 0;
  // Every row that got a share of the prediction, nearest first (ties by label,
  // then row), when asked for; empty otherwise.
  std::vector<Neighbour> neighbours;
  // Spread of the neighbours' labels under the same weights: population std,
  // min and max.
  double label_std = 0;
  double label_min = 0;
  double label_max = 0;
  // More rows sit at the k-th distance than slots remain, so the tie rule
  // decided the prediction (sklearn would pick an arbitrary subset).
  bool decided_by_tie = false;
  size_t neighbour_count =
      0;  // rows with a share (m + t), even when neighbours is empty
  // Calibrated interval (metadata().interval); has_interval is false and the
  // bounds are 0 when the model carries no calibration.
  bool has_interval = false;
  double interval_level = 0;  // e.g. 0.8 for an 80% interval
  double interval_low = 0;
  double interval_high = 0;
  // Default model only (empty otherwise): every candidate's value and the
  // blend weights that made `value`, and a human reading of it, e.g. "0.70 ×
  // knn per core (11.2 W/core × 0.5 cores + 1.4 idle) + 0.30 × family median
  // 6.1".
  bool blended = false;
  CandidateValues candidates{};
  BlendWeights blend;
  double intensity = 0;     // knn per core: target units per requested core
  bool new_family = false;  // the unseen-family blend was used
  std::string explanation;
};

class KnnModel {
 public:
  KnnModel() = default;

  // Takes `rows` (pass std::move(rows) to avoid a copy of the features).
  // Throws podpower::Error when k < 1, rows is empty, dim is 0, sizes
  // disagree, or a feature is not finite. k > rows() is accepted here (like
  // sklearn) and rejected by Predict.
  static KnnModel Fit(TrainingRows rows, const KnnOptions& options,
                      const KnnMetadata& metadata);

  // One query of dim() float32 features. Throws podpower::Error on a wrong
  // length, non-finite features, or k > rows().
  Prediction Predict(std::span<const float> query,
                     bool with_neighbours = true) const;

  // `count` queries, row-major. Candidate scores come from a BLAS sgemm over
  // blocks of queries, or, for sparse queries (one-hot, hashed text) and lone
  // queries, from summing only the columns of their non-zero features; then
  // every query is finished in parallel. Same results as Predict on each row.
  std::vector<Prediction> PredictBatch(std::span<const float> queries,
                                       size_t count,
                                       bool with_neighbours = false) const;

  // Artifact I/O (format in docs/formats/model.md). Save writes atomically;
  // Load verifies magic, version and sha256 and throws podpower::Error "<path>:
  // ..." on any mismatch.
  void Save(const std::string& path) const;
  static KnnModel Load(const std::string& path);

  const KnnOptions& options() const { return options_; }
  const KnnMetadata& metadata() const { return metadata_; }
  size_t dim() const { return dim_; }
  size_t rows() const { return labels_.size(); }
  std::span<const float> features() const { return features_; }
  std::span<const double> labels() const { return labels_; }
  // Per-row traits (empty for models without them, e.g. format version 1).
  const std::vector<WorkloadTraits>& traits() const { return traits_; }
  const std::string& workload(size_t row) const {
    return workload_names_[workload_index_[row]];
  }

 private:
  struct Candidate {
    double distance;
    double label;
    size_t row;
  };
  void Prepare();  // derived arrays (norms, normalised rows) after Fit or Load
  void Validate(std::span<const float> query) const;
  // Exact distance between a query and training row `row` (fixed summation
  // order).
  double ExactDistance(std::span<const float> query, double query_norm,
                       size_t row) const;
  // Queries [start, start + count): approximate scores (sgemm or column
  // sums), then Finish per query into out[start + q].
  void PredictBlock(std::span<const float> queries, size_t start, size_t count,
                    bool with_neighbours, Prediction* out) const;
  // From one query's sgemm dot products: every row whose exact distance is <=
  // the exact k-th, then Combine.
  void Finish(std::span<const float> query, double query_norm,
              const float* dots, double margin, bool with_neighbours,
              Prediction* out, std::vector<Candidate>* scratch) const;
  Prediction Combine(std::vector<Candidate>& candidates,
                     bool with_neighbours) const;

  KnnOptions options_;
  KnnMetadata metadata_;
  size_t dim_ = 0;
  std::vector<float> features_;  // as given, row-major
  std::vector<double> labels_;
  std::vector<uint32_t> workload_index_;
  std::vector<std::string> workload_names_;  // distinct, sorted
  std::vector<WorkloadTraits> traits_;       // empty or one per row

  // Derived: squared norms (euclidean) or norms (cosine) in float64, and the
  // float32 rows searched (unit rows for cosine, zero rows stay zero; raw rows
  // for euclidean) stored feature-major: column i = feature i of all rows.
  std::vector<double> norms_;
  std::vector<float> search_columns_;
  std::vector<float>
      search_norms2_;  // euclidean: float32 squared norms for the scores
  double max_norm_ = 0;
};

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_KNN_H_
