#include "model/train.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "io/error.h"
#include "io/parquet.h"
#include "io/progress.h"
#include "model/group_kfold.h"
#include "model/interval.h"
#include "model/metrics.h"
#include "model/search.h"

namespace podpower::model {
namespace {

std::string Where(const io::Table& table) {
  return table.source.empty() ? std::string("training table") : table.source;
}

}  // namespace

bool IsKnownTarget(const std::string& target) {
  return target == "avg_power_w" || target == "energy_step_j" ||
         target == "total_energy_j";
}

LoadedRows LoadTrainingRows(const io::Table& table, const std::string& target,
                            bool aggregate) {
  const std::string where = Where(table);
  if (!IsKnownTarget(target)) {
    throw Error(
        "--target: expected avg_power_w, energy_step_j or total_energy_j, got "
        "'" +
        target + "'");
  }
  if (table.rows() == 0)
    throw Error(where + ": no rows (expected train_rows from `podpower join`)");
  const io::Column& features =
      table.Require("features", io::ColumnType::kFloatList);
  const io::Column& label = table.Require(target, io::ColumnType::kDouble);
  const io::Column& workload =
      table.Require("workload_name", io::ColumnType::kString);
  const io::Column* ns = nullptr;
  const io::Column* kind = nullptr;
  const io::Column* spec = nullptr;
  if (aggregate) {
    ns = &table.Require("namespace", io::ColumnType::kString);
    kind = &table.Require("workload_kind", io::ColumnType::kString);
    spec = &table.Require("_spec_hash", io::ColumnType::kString);
  }
  LoadedRows loaded;
  loaded.input_rows = table.rows();
  TrainingRows& rows = loaded.rows;
  // Aggregation key -> output row; features are part of the key so rows are
  // only merged when they are truly the same point.
  using Key = std::tuple<std::string, std::string, std::string, std::string,
                         std::string>;
  std::map<Key, size_t> group_of;
  std::vector<size_t> members;
  for (size_t r = 0; r < table.rows(); ++r) {
    if (label.is_null(r) || !std::isfinite(label.doubles[r])) {
      ++loaded.dropped_non_finite;
      continue;
    }
    if (features.is_null(r)) {
      throw Error(fmt::format(
          "{}: row {}: column 'features' is NULL (expected FLOAT[])", where,
          r));
    }
    if (workload.is_null(r)) {
      throw Error(
          fmt::format("{}: row {}: column 'workload_name' is NULL", where, r));
    }
    const auto f = features.list(r);
    if (rows.dim == 0) rows.dim = f.size();
    if (f.size() != rows.dim || f.empty()) {
      throw Error(fmt::format(
          "{}: row {}: column 'features' has {} values, expected {}", where, r,
          f.size(),
          rows.dim == 0 ? std::string("> 0") : std::to_string(rows.dim)));
    }
    for (size_t i = 0; i < f.size(); ++i) {
      if (!std::isfinite(f[i])) {
        throw Error(fmt::format(
            "{}: row {}: column 'features'[{}] is not finite", where, r, i));
      }
    }
    ++loaded.aggregated_from;
    if (aggregate) {
      for (const io::Column* c : {ns, kind, spec}) {
        if (c->is_null(r)) {
          throw Error(fmt::format("{}: row {}: column '{}' is NULL", where, r,
                                  c->name));
        }
      }
      Key key{ns->strings[r], kind->strings[r], workload.strings[r],
              spec->strings[r],
              std::string(reinterpret_cast<const char*>(f.data()),
                          f.size() * sizeof(float))};
      auto [it, added] = group_of.emplace(std::move(key), rows.labels.size());
      if (!added) {
        rows.labels[it->second] +=
            label.doubles[r];  // summed now, divided below
        ++members[it->second];
        continue;
      }
      members.push_back(1);
    }
    rows.features.insert(rows.features.end(), f.begin(), f.end());
    rows.labels.push_back(label.doubles[r]);
    rows.workloads.push_back(workload.strings[r]);
  }
  if (aggregate) {
    for (size_t i = 0; i < rows.labels.size(); ++i) {
      rows.labels[i] /= static_cast<double>(members[i]);
    }
  }
  if (rows.rows() == 0) {
    throw Error(fmt::format(
        "{}: column '{}': no row has a finite value ({} rows, all NULL, NaN "
        "or infinite)",
        where, target, table.rows()));
  }
  return loaded;
}

CvResult CrossValidate(const TrainingRows& rows, const KnnOptions& options) {
  const std::set<std::string> distinct(rows.workloads.begin(),
                                       rows.workloads.end());
  if (distinct.size() < 2) {
    throw Error(fmt::format(
        "cross-validation needs at least 2 workloads (workload_name), got {}",
        distinct.size()));
  }
  CvResult cv;
  cv.folds = static_cast<int>(std::min<size_t>(5, distinct.size()));
  cv.fold_of_row = GroupKFoldAssign(rows.workloads, cv.folds);
  cv.predictions.assign(rows.rows(), 0.0);
  cv.decided_by_tie.assign(rows.rows(), 0);
  cv.label_std.assign(rows.rows(), 0.0);
  io::Progress progress("cross-validation folds",
                        static_cast<uint64_t>(cv.folds));
  for (int f = 0; f < cv.folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.rows(); ++i)
      (cv.fold_of_row[i] == f ? test : train).push_back(i);
    if (train.size() < static_cast<size_t>(options.k)) {
      throw Error(fmt::format(
          "cross-validation fold {} has {} training rows, fewer than "
          "--neighbors {}",
          f, train.size(), options.k));
    }
    const TrainingRows train_rows = rows.Subset(train);
    const TrainingRows test_rows = rows.Subset(test);
    const KnnModel model = KnnModel::Fit(train_rows, options, {});
    const auto predictions =
        model.PredictBatch(test_rows.features, test.size(), false);
    std::vector<double> predicted(test.size());
    for (size_t i = 0; i < test.size(); ++i) {
      predicted[i] = predictions[i].value;
      cv.predictions[test[i]] = predictions[i].value;
      cv.decided_by_tie[test[i]] = predictions[i].decided_by_tie;
      cv.label_std[test[i]] = predictions[i].label_std;
      cv.tie_decided += predictions[i].decided_by_tie;
    }
    cv.fold_mae.push_back(MeanAbsoluteError(test_rows.labels, predicted));
    cv.fold_r2.push_back(R2Score(test_rows.labels, predicted));
    progress.Advance();
  }
  cv.mae_mean = Mean(cv.fold_mae);
  cv.mae_std = PopulationStd(cv.fold_mae);
  cv.r2_mean = Mean(cv.fold_r2);
  return cv;
}

std::string FormatCvLine(const CvResult& cv) {
  // printf's %.3f, as Python's f"{x:.3f}" (nan prints as "nan" in both).
  return fmt::format("CV MAE: {:.3f} ± {:.3f} | R2: {:.3f}", cv.mae_mean,
                     cv.mae_std, cv.r2_mean);
}

TrainSummary Train(const TrainOptions& options, std::ostream& out,
                   std::ostream& log) {
  if (options.out_path.empty()) throw Error("--out: a model path is required");
  if (options.knn.k < 1)
    throw Error(
        fmt::format("--neighbors: expected >= 1, got {}", options.knn.k));
  io::Table table = io::ReadParquet(options.train_path);
  TrainSummary summary;
  summary.loaded = LoadTrainingRows(table, options.target, options.aggregate);
  const LoadedRows& loaded = summary.loaded;
  if (loaded.dropped_non_finite > 0) {
    log << fmt::format("dropped {} of {} rows with a non-finite {}\n",
                       loaded.dropped_non_finite, loaded.input_rows,
                       options.target);
  }
  if (options.aggregate) {
    log << fmt::format(
        "aggregated {} rows into {} (namespace, workload_kind, workload_name, "
        "_spec_hash, features)\n",
        loaded.aggregated_from, loaded.rows.rows());
  }
  KnnOptions knn = options.knn;
  if (options.auto_search) {
    const SearchResult search = SearchKnn(loaded.rows, SearchSpace{});
    knn = search.best;
    log << fmt::format(
        "--auto: chose {} (grouped CV MAE {:.3f}; nested CV MAE of the "
        "choice {:.3f})\n",
        DescribeOptions(knn), search.best_mae, search.nested_mae);
  }
  summary.cv = CrossValidate(loaded.rows, knn);
  out << FormatCvLine(summary.cv) << "\n";
  log << fmt::format(
      "{} of {} CV predictions were decided by ties at the k-th distance (tied "
      "rows share the remaining weight)\n",
      summary.cv.tie_decided, loaded.rows.rows());
  if (loaded.rows.rows() < static_cast<size_t>(knn.k)) {
    throw Error(fmt::format("{}: {} usable rows, fewer than --neighbors {}",
                            options.train_path, loaded.rows.rows(), knn.k));
  }
  KnnMetadata metadata;
  metadata.target = options.target;
  metadata.aggregated = options.aggregate;
  metadata.source = options.train_path;
  metadata.encoder_fingerprint =
      options.encoder_fingerprint.empty()
          ? fmt::format("features:{}", loaded.rows.dim)
          : options.encoder_fingerprint;
  if (options.interval_level > 0) {
    metadata.interval =
        CalibrateInterval(loaded.rows.labels, summary.cv.predictions,
                          summary.cv.label_std, options.interval_level);
    log << fmt::format(
        "prediction interval: {:.0f}% = prediction ± {:.3f} x (neighbour "
        "spread + {:.4g}), calibrated on the CV residuals\n",
        100 * metadata.interval.level, metadata.interval.scale,
        metadata.interval.floor);
  }
  const KnnModel model = KnnModel::Fit(loaded.rows, knn, metadata);
  model.Save(options.out_path);
  log << fmt::format("wrote {} ({} rows x {} features, k={}, {}, {})\n",
                     options.out_path, model.rows(), model.dim(), knn.k,
                     MetricName(knn.metric), WeightsName(knn.weights));
  return summary;
}

}  // namespace podpower::model
