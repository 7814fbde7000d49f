// `podpower evaluate`: how good a KNN power model is, measured honestly.
//
// Cross-validates the KNN as configured and four baselines over the same
// workload-grouped folds — GroupKFold(min(5, workloads)) exactly as `train`
// (and scikit-learn) assign them, and leave-one-workload-out — and scores the
// pooled out-of-fold predictions: MAE, RMSE, MAPE (labels above a floor), R²,
// the coverage of the calibrated prediction interval, breakdowns by workload
// kind, namespace, and seen/unseen image family. Functions are thread-
// compatible; bad input throws podpower::Error naming the file and field.
#ifndef PODPOWER_EVALUATE_EVALUATE_H_
#define PODPOWER_EVALUATE_EVALUATE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "evaluate/error_metrics.h"
#include "io/inference_request.h"
#include "io/table.h"
#include "model/interval.h"
#include "model/knn.h"
#include "model/search.h"

namespace podpower::evaluate {

struct EvaluateOptions {
  std::string train_path;  // train_rows Parquet from `podpower join`
  std::string target = "energy_step_j";
  model::KnnOptions knn;
  bool aggregate = false;     // as `train --aggregate`
  std::string requests_path;  // optional InferenceRequest NDJSON: image
                              // families and CPU requests by _spec_hash
  std::string report_path;    // optional HTML report
  double mape_floor = 1.0;    // MAPE uses labels > this (target units)
  double interval_level = 0.8;
  bool leave_one_group_out = true;
  std::string compare_line;  // e.g. the original tool's CV line, quoted
  size_t worst = 10;         // rows in the worst-predictions table
  bool search = false;       // also search k/metric/weights (nested CV)
};

// The rows being evaluated, after the same filtering (and aggregation) as
// `train`, with what the breakdowns and baselines need per row.
struct EvalData {
  std::string source;
  model::TrainingRows rows;
  std::vector<std::string> kinds, namespaces, spec_hashes;
  std::vector<std::string> families;  // "" = unknown
  std::vector<double> cpu;            // CPU request, see cpu_source
  std::string cpu_source;
  size_t input_rows = 0, dropped_non_finite = 0, family_matched = 0;
  size_t workloads = 0;
};

// From a train_rows table (and optional requests, matched by _spec_hash).
// Throws podpower::Error: missing/wrong-typed columns or target, no finite
// label, fewer than 2 workloads.
EvalData LoadEvalData(const io::Table& table, const std::string& target,
                      bool aggregate,
                      const std::vector<io::InferenceRequest>* requests);

struct MethodScores {
  std::string name;
  std::vector<double> predictions;  // out-of-fold, one per row
  ErrorMetrics overall;
};

struct GroupScores {
  std::string key;  // kind, namespace, "seen family", ...
  ErrorMetrics knn;
  ErrorMetrics best_baseline;
  std::string best_baseline_name;
  double coverage = 0;
};

struct SchemeResult {
  std::string name;
  int folds = 0;
  std::vector<int> fold_of_row;
  std::vector<MethodScores> methods;  // [0] is the KNN, then the baselines
  // The KNN's per-row details.
  std::vector<double> label_std, low, high;
  std::vector<uint8_t> decided_by_tie;
  size_t tie_decided = 0;
  std::vector<std::string> neighbours;  // "workload xN (d=.., y=..), ..."
  double coverage = 0, mean_width = 0;  // cross-fitted interval
  // The original tool's aggregation: mean of per-fold MAE/R².
  double fold_mae_mean = 0, fold_mae_std = 0, fold_r2_mean = 0;
  std::vector<char> seen_family;  // 1 seen, 0 unseen, -1 unknown family
  std::vector<GroupScores> by_kind, by_namespace, by_family_seen;
};

struct Evaluation {
  EvaluateOptions options;
  EvalData data;
  std::vector<SchemeResult> schemes;       // GroupKFold first
  model::IntervalCalibration calibration;  // on all GroupKFold residuals
  bool searched = false;                   // options.search ran
  model::SearchResult search;
};

// Runs both CV schemes on `data`. Throws podpower::Error when a training fold
// has fewer than k rows.
Evaluation Evaluate(const EvaluateOptions& options, EvalData data);

// The text summary `podpower evaluate` prints on stdout.
std::string FormatEvaluation(const Evaluation& evaluation);

// The whole command: reads the inputs, evaluates, prints the summary to `out`,
// notes to `log`, and writes the HTML report atomically when asked.
Evaluation RunEvaluate(const EvaluateOptions& options, std::ostream& out,
                       std::ostream& log);

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_EVALUATE_H_
