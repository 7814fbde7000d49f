// `podpower evaluate`: how good a KNN power model is, measured honestly.
//
// Cross-validates the model `train` would build (the default blend, nested:
// each fold chooses its own weights on its training part; or the KNN alone),
// every candidate of the blend, and the simple baselines over the same
// grouped folds — GroupKFold(min(5, workloads)) exactly as `train` (and
// scikit-learn) assign them, leave-one-workload-out, and by image family — and
// scores the pooled out-of-fold predictions: MAE, RMSE, MAPE (labels above a
// floor), R², the coverage of the calibrated prediction interval, breakdowns
// by workload kind, namespace, and seen/unseen image family. With a simulated
// cluster's truth file it also scores the oracle (the best any spec-based
// model could do). Functions are thread-
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
#include "model/train.h"

namespace podpower::evaluate {

// Above this many workloads leave-one-workload-out (one model per workload:
// the cost grows as workloads² or worse) gives way to
// GroupKFold(kManyFolds) by workload, which keeps 95% of the workloads in
// every training fold at a fixed number of fits; the scheme's name says so.
constexpr size_t kMaxLeaveOneOutWorkloads = 1000;
constexpr int kManyFolds = 20;

struct EvaluateOptions {
  std::string train_path;  // train_rows Parquet from `podpower join`
  std::string target = "energy_step_j";
  model::KnnOptions knn;
  bool aggregate = false;     // as `train --aggregate`
  std::string requests_path;  // optional InferenceRequest NDJSON: image
                              // families and CPU requests by _spec_hash
  std::string report_path;    // optional HTML report
  std::string json_path;      // optional machine-readable summary
  double mape_floor = 1.0;    // MAPE uses labels > this (target units)
  double interval_level = 0.8;
  bool leave_one_group_out = true;
  std::string compare_line;  // e.g. the original tool's CV line, quoted
  size_t worst = 10;         // rows in the worst-predictions table
  bool search = false;       // also search k/metric/weights (nested CV)
  model::Learner learner = model::Learner::kDefault;
  // truth_workloads.csv of `podpower simulate`: scores its oracle column.
  std::string truth_path;
  double truth_step = 60;  // seconds per label step (energy_step_j)
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
  std::string traits_source;  // LoadedRows::traits_source
  // Oracle prediction per row (target units) from --truth; empty without.
  std::vector<double> oracle;
  size_t oracle_matched = 0;
  size_t input_rows = 0, dropped_non_finite = 0, family_matched = 0;
  size_t workloads = 0;
  bool pre_aggregated = false;  // join's aggregated layout (one row per spec)
};

// From a train_rows table (and optional requests, matched by _spec_hash).
// Throws podpower::Error: missing/wrong-typed columns or target, no finite
// label, fewer than 2 workloads.
EvalData LoadEvalData(const io::Table& table, const std::string& target,
                      bool aggregate,
                      const std::vector<io::InferenceRequest>* requests);

struct MethodScores {
  std::string name;
  bool baseline = false;  // a simple predictor the model must not lose to
  std::vector<double> predictions;  // out-of-fold, one per row
  ErrorMetrics overall;
};

struct GroupScores {
  std::string key;     // kind, namespace, "seen family", ...
  ErrorMetrics model;  // methods[0]
  ErrorMetrics best_baseline;
  std::string best_baseline_name;
  double coverage = 0;
};

struct SchemeResult {
  std::string name;
  int folds = 0;
  std::vector<int> fold_of_row;
  // [0] is the model `train` builds (nested for the default), then the
  // blend's other candidates, then the baselines.
  std::vector<MethodScores> methods;
  std::vector<std::string> blends;  // per fold: the weights it chose
  // Some fold trained on more than model::kMaxBlendRows rows, so its blend's
  // inner CV ran on a sample (model::BlendSample).
  bool blend_sampled = false;
  bool has_oracle = false;
  ErrorMetrics oracle;
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

// Fills data->oracle from options.truth_path (simulate's truth_workloads.csv,
// oracle_label_watts_per_pod; times truth_step for energy_step_j), matching
// rows by (namespace, workload_name). Throws podpower::Error for another
// target or a bad file.
void AttachOracle(const EvaluateOptions& options, EvalData* data);

// Runs both CV schemes on `data`. Throws podpower::Error when a training fold
// has fewer than k rows.
Evaluation Evaluate(const EvaluateOptions& options, EvalData data);

// The text summary `podpower evaluate` prints on stdout.
std::string FormatEvaluation(const Evaluation& evaluation);

// Every scheme's method, oracle and group scores as JSON (--json; format in
// docs/formats/evaluate.md).
std::string EvaluationJson(const Evaluation& evaluation);

// The whole command: reads the inputs, evaluates, prints the summary to `out`,
// notes to `log`, and writes the HTML report atomically when asked.
Evaluation RunEvaluate(const EvaluateOptions& options, std::ostream& out,
                       std::ostream& log);

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_EVALUATE_H_
