// `podpower train`: train_rows Parquet -> GroupKFold cross-validation -> KNN
// model artifact.
//
// Mirrors the original train script: rows with a finite target,
// GroupKFold(min(5, workloads)) grouped by the label's workload_name,
// KNeighborsRegressor, the line "CV MAE: <mean> ± <std> | R2: <mean>", then a
// fit on all rows. Functions are thread-compatible (no shared state); they
// throw podpower::Error for bad input and leave no output file behind.
#ifndef PODPOWER_MODEL_TRAIN_H_
#define PODPOWER_MODEL_TRAIN_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "io/inference_request.h"
#include "io/table.h"
#include "model/knn.h"

namespace podpower::model {

// The targets the original supports.
bool IsKnownTarget(const std::string& target);

struct LoadedRows {
  TrainingRows rows;  // rows.traits filled when every row's traits are known
  std::vector<std::string> kinds;  // workload_kind per row ("" = unknown)
  std::string traits_source;       // where traits came from, or why not
  size_t input_rows = 0;           // rows in the table
  size_t dropped_non_finite = 0;   // null, NaN or infinite target
  size_t aggregated_from =
      0;  // rows before --aggregate (== rows.rows() without it)
  // The table was join's aggregated layout (IsAggregatedLayout): each row is
  // already one (workload, spec) with the mean label; aggregated_from then
  // counts the label rows behind the kept rows (column <target>_n).
  bool pre_aggregated = false;
};

// True for join's aggregated layout (docs/formats/join.md): it has a
// `label_rows` BIGINT column, which the wide layout and the original's
// train_rows never have.
bool IsAggregatedLayout(const io::Table& table);

// Takes `features` (FLOAT[]), `workload_name` and the target column (DOUBLE)
// from a train_rows table. With `aggregate`, rows sharing (namespace,
// workload_kind, workload_name, _spec_hash, features) become one row whose
// label is the mean of theirs (docs/formats/model.md). A table in join's
// aggregated layout is read row for row whatever `aggregate` says (its rows are
// those groups already, in the same order, with the same means). Traits (model/
// workload_traits.h) come from the columns cpu_cores, gpus and image_family
// that `encode transform` writes and `join` carries, else from `requests`
// matched by _spec_hash; rows.traits stays empty when some row has neither.
// Throws podpower::Error naming table.source and the column/row: missing or
// wrong-typed columns, empty table, NULL or ragged features, no finite target
// left.
LoadedRows LoadTrainingRows(
    const io::Table& table, const std::string& target, bool aggregate,
    const std::vector<io::InferenceRequest>* requests = nullptr);

struct CvResult {
  int folds = 0;
  std::vector<double> fold_mae, fold_r2;
  double mae_mean = 0, mae_std = 0, r2_mean = 0;
  std::vector<int> fold_of_row;     // test fold of each row
  std::vector<double> predictions;  // out-of-fold prediction of each row
  std::vector<uint8_t>
      decided_by_tie;  // 1 where the tie rule decided that prediction
  size_t tie_decided = 0;
  // Weighted spread of the neighbours' labels behind each out-of-fold
  // prediction (Prediction::label_std), for interval calibration.
  std::vector<double> label_std;
};

// GroupKFold(n_splits = min(5, distinct workloads)) by rows.workloads. Throws
// podpower::Error when there are fewer than 2 workloads or a training fold has
// fewer than k rows. Shows progress on a terminal.
CvResult CrossValidate(const TrainingRows& rows, const KnnOptions& options);

// "CV MAE: %.3f ± %.3f | R2: %.3f", as the original prints it.
std::string FormatCvLine(const CvResult& cv);

// kDefault: the blend of model/default_model.h. kKnn: the original tool's
// KNN alone (sklearn-exact predictions).
enum class Learner { kDefault, kKnn };
Learner ParseLearner(const std::string& text, const std::string& flag);
std::string LearnerName(Learner learner);

// Out-of-fold predictions of `learner` under GroupKFold(min(5, workloads)),
// scored like CrossValidate. kDefault needs rows with traits and fits its
// ensemble inside each fold (nested CV), so the figure is honest for the
// choice of weights too.
CvResult CrossValidateLearner(const TrainingRows& rows,
                              const KnnOptions& options, Learner learner);

struct TrainOptions {
  Learner learner = Learner::kDefault;
  // InferenceRequest NDJSON for traits when train_rows lack the columns.
  std::string requests_path;
  std::string train_path;
  std::string out_path;
  std::string target = "energy_step_j";
  KnnOptions knn;
  bool aggregate = false;
  std::string
      encoder_fingerprint;  // stored in the artifact; "" -> "features:<dim>"
  // Coverage the stored prediction interval aims at (calibrated on the CV
  // residuals, model/interval.h); 0 stores none.
  double interval_level = 0.8;
  // Choose k, metric and weights by grouped CV first (model/search.h),
  // overriding `knn`.
  bool auto_search = false;
};

struct TrainSummary {
  LoadedRows loaded;
  CvResult cv;
};

// The whole command: reads, cross-validates, prints the CV line to `out` and
// notes (dropped rows, tie count) to `log`, fits on all rows and saves the
// artifact atomically to options.out_path.
TrainSummary Train(const TrainOptions& options, std::ostream& out,
                   std::ostream& log);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_TRAIN_H_
