#include "model/train.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "io/error.h"
#include "io/inference_request.h"
#include "io/parquet.h"
#include "io/progress.h"
#include "model/default_model.h"
#include "model/group_kfold.h"
#include "model/interval.h"
#include "model/metrics.h"
#include "model/search.h"
#include "model/workload_traits.h"

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

Learner ParseLearner(const std::string& text, const std::string& flag) {
  if (text == "default") return Learner::kDefault;
  if (text == "knn") return Learner::kKnn;
  throw Error(flag + ": expected default or knn, got '" + text + "'");
}

std::string LearnerName(Learner learner) {
  return learner == Learner::kDefault ? "default" : "knn";
}

bool IsAggregatedLayout(const io::Table& table) {
  const io::Column* c = table.Find("label_rows");
  return c != nullptr && c->type == io::ColumnType::kInt64;
}

LoadedRows LoadTrainingRows(const io::Table& table, const std::string& target,
                            bool aggregate,
                            const std::vector<io::InferenceRequest>* requests) {
  const std::string where = Where(table);
  const bool pre_aggregated = IsAggregatedLayout(table);
  // Join grouped the rows already: grouping again would change nothing (the
  // keys are distinct) but cost a map of feature vectors.
  if (pre_aggregated) aggregate = false;
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
  // Traits: podpower's columns, else the requests by _spec_hash.
  const auto optional_column = [&](const char* name, io::ColumnType type) {
    const io::Column* c = table.Find(name);
    if (c != nullptr && c->type != type) {
      throw Error(fmt::format("{}: column '{}' is {}, expected {}", where, name,
                              io::ColumnTypeName(c->type),
                              io::ColumnTypeName(type)));
    }
    return c;
  };
  const io::Column* cores_column =
      optional_column("cpu_cores", io::ColumnType::kDouble);
  const io::Column* gpus_column =
      optional_column("gpus", io::ColumnType::kDouble);
  const io::Column* family_column =
      optional_column("image_family", io::ColumnType::kString);
  const io::Column* kind_column =
      optional_column("workload_kind", io::ColumnType::kString);
  const io::Column* hash_column =
      optional_column("_spec_hash", io::ColumnType::kString);
  const bool traits_in_table = cores_column != nullptr &&
                               gpus_column != nullptr &&
                               family_column != nullptr;
  std::map<std::string, WorkloadTraits> traits_by_hash;
  if (!traits_in_table && requests != nullptr) {
    for (const auto& r : *requests)
      traits_by_hash.emplace(io::SpecHash(r), TraitsOf(r));
  }
  bool traits_known = traits_in_table || !traits_by_hash.empty();
  std::vector<WorkloadTraits> traits;
  const auto traits_of = [&](size_t r) {
    WorkloadTraits t;
    if (traits_in_table) {
      t.cpu_cores = cores_column->is_null(r) ? 0 : cores_column->doubles[r];
      t.gpus = gpus_column->is_null(r) ? 0 : gpus_column->doubles[r];
      if (!family_column->is_null(r)) t.family = family_column->strings[r];
      if (!std::isfinite(t.cpu_cores) || t.cpu_cores < 0 ||
          !std::isfinite(t.gpus) || t.gpus < 0) {
        throw Error(fmt::format(
            "{}: row {}: cpu_cores/gpus must be finite and >= 0", where, r));
      }
    } else if (traits_known) {
      auto it = hash_column == nullptr || hash_column->is_null(r)
                    ? traits_by_hash.end()
                    : traits_by_hash.find(hash_column->strings[r]);
      if (it == traits_by_hash.end()) {
        traits_known = false;
      } else {
        t = it->second;
      }
    }
    t.kind = kind_column == nullptr || kind_column->is_null(r)
                 ? std::string()
                 : kind_column->strings[r];
    return t;
  };
  const io::Column* label_count = nullptr;
  if (pre_aggregated)
    label_count = &table.Require(target + "_n", io::ColumnType::kInt64);
  LoadedRows loaded;
  loaded.input_rows = table.rows();
  loaded.pre_aggregated = pre_aggregated;
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
    loaded.aggregated_from += label_count == nullptr || label_count->is_null(r)
                                  ? 1
                                  : static_cast<size_t>(label_count->ints[r]);
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
    traits.push_back(traits_of(r));
  }
  for (const auto& t : traits) loaded.kinds.push_back(t.kind);
  if (traits_known) {
    rows.traits = std::move(traits);
    loaded.traits_source = traits_in_table
                               ? "columns cpu_cores, gpus, image_family"
                               : "--requests, by _spec_hash";
  } else {
    loaded.traits_source =
        requests == nullptr
            ? "none: no cpu_cores/gpus/image_family columns and no --requests"
            : "none: some _spec_hash not in --requests";
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

namespace {

// GroupKFold(min(5, workloads)) folds and empty per-row results.
CvResult StartCv(const TrainingRows& rows) {
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
  return cv;
}

// Per-fold MAE and R² of the filled-in predictions (each fold's rows in row
// order, as the test part of a fold lists them), and the original's summary.
void ScoreFolds(const TrainingRows& rows, CvResult* cv) {
  for (int f = 0; f < cv->folds; ++f) {
    std::vector<double> truth, predicted;
    for (size_t i = 0; i < rows.rows(); ++i) {
      if (cv->fold_of_row[i] != f) continue;
      truth.push_back(rows.labels[i]);
      predicted.push_back(cv->predictions[i]);
    }
    cv->fold_mae.push_back(MeanAbsoluteError(truth, predicted));
    cv->fold_r2.push_back(R2Score(truth, predicted));
  }
  cv->mae_mean = Mean(cv->fold_mae);
  cv->mae_std = PopulationStd(cv->fold_mae);
  cv->r2_mean = Mean(cv->fold_r2);
}

void Record(const std::vector<size_t>& rows,
            const std::vector<Prediction>& predictions, CvResult* cv) {
  for (size_t t = 0; t < rows.size(); ++t) {
    cv->predictions[rows[t]] = predictions[t].value;
    cv->decided_by_tie[rows[t]] = predictions[t].decided_by_tie;
    cv->label_std[rows[t]] = predictions[t].label_std;
    cv->tie_decided += predictions[t].decided_by_tie;
  }
}

// "Deployment ×/÷1.32, Job ×/÷2.10": log-ratio quantiles as factors.
std::string FactorsByKind(const std::map<std::string, double>& scale_by_kind) {
  std::string out;
  for (const auto& [kind, q] : scale_by_kind) {
    out += fmt::format("{}{} ×/÷{:.2f}", out.empty() ? "" : ", ",
                       kind.empty() ? "(none)" : kind, std::exp(q));
  }
  return out;
}

}  // namespace

CvResult CrossValidate(const TrainingRows& rows, const KnnOptions& options) {
  CvResult cv = StartCv(rows);
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
    const KnnModel model = KnnModel::Fit(rows.Subset(train), options, {});
    const TrainingRows test_rows = rows.Subset(test);
    Record(test, model.PredictBatch(test_rows.features, test.size(), false),
           &cv);
    progress.Advance();
  }
  ScoreFolds(rows, &cv);
  return cv;
}

CvResult CrossValidateLearner(const TrainingRows& rows,
                              const KnnOptions& options, Learner learner) {
  if (learner == Learner::kKnn) return CrossValidate(rows, options);
  CvResult cv = StartCv(rows);
  std::vector<size_t> all(rows.rows());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  Record(all, DefaultOutOfFold(rows, options, cv.fold_of_row), &cv);
  ScoreFolds(rows, &cv);
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
  io::Table table = io::ReadParquetInput(options.train_path);
  std::vector<io::InferenceRequest> requests;
  if (!options.requests_path.empty())
    requests = io::ReadInferenceRequests(options.requests_path).records;
  TrainSummary summary;
  summary.loaded =
      LoadTrainingRows(table, options.target, options.aggregate,
                       options.requests_path.empty() ? nullptr : &requests);
  const LoadedRows& loaded = summary.loaded;
  if (loaded.dropped_non_finite > 0) {
    log << fmt::format("dropped {} of {} rows with a non-finite {}\n",
                       loaded.dropped_non_finite, loaded.input_rows,
                       options.target);
  }
  if (loaded.pre_aggregated) {
    log << fmt::format(
        "{} rows of join's aggregated layout: {} label rows averaged per "
        "(namespace, workload_kind, workload_name, _spec_hash, features)\n",
        loaded.rows.rows(), loaded.aggregated_from);
  } else if (options.aggregate) {
    log << fmt::format(
        "aggregated {} rows into {} (namespace, workload_kind, workload_name, "
        "_spec_hash, features)\n",
        loaded.aggregated_from, loaded.rows.rows());
  }
  Learner learner = options.learner;
  if (learner == Learner::kDefault && !loaded.rows.has_traits()) {
    log << fmt::format(
        "--learner default needs each row's CPU cores, GPUs and image family "
        "({}): training the KNN alone (--learner knn)\n",
        loaded.traits_source);
    learner = Learner::kKnn;
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
  if (learner == Learner::kKnn &&
      loaded.rows.rows() < static_cast<size_t>(knn.k)) {
    throw Error(fmt::format("{}: {} usable rows, fewer than --neighbors {}",
                            options.train_path, loaded.rows.rows(), knn.k));
  }
  summary.cv = CrossValidateLearner(loaded.rows, knn, learner);
  out << FormatCvLine(summary.cv) << "\n";
  if (learner == Learner::kDefault) {
    log << "the CV line is nested: each fold chose its own blend weights on "
           "its training part only\n";
  }
  log << fmt::format(
      "{} of {} CV predictions were decided by ties at the k-th distance (tied "
      "rows share the remaining weight)\n",
      summary.cv.tie_decided, loaded.rows.rows());
  KnnMetadata metadata;
  metadata.target = options.target;
  metadata.aggregated = options.aggregate || loaded.pre_aggregated;
  metadata.source = options.train_path;
  metadata.encoder_fingerprint =
      options.encoder_fingerprint.empty()
          ? fmt::format("features:{}", loaded.rows.dim)
          : options.encoder_fingerprint;
  if (options.interval_level > 0) {
    metadata.interval = CalibrateLogRatioInterval(
        loaded.rows.labels, summary.cv.predictions, loaded.kinds,
        options.interval_level, loaded.rows.workloads);
    const std::string per_kind = FactorsByKind(metadata.interval.scale_by_kind);
    log << fmt::format(
        "prediction interval: {:.0f}% = prediction ×/÷ {:.2f} ({}), "
        "calibrated on the CV residuals\n",
        100 * metadata.interval.level, std::exp(metadata.interval.scale),
        per_kind.empty() ? std::string("pooled: no kind has 20 rows")
                         : "by kind: " + per_kind);
  }
  const KnnModel model = learner == Learner::kDefault
                             ? FitDefaultModel(loaded.rows, knn, metadata)
                             : KnnModel::Fit(loaded.rows, knn, metadata);
  model.Save(options.out_path);
  if (const auto& iv = model.metadata().interval;
      iv.new_family_scale.has_value()) {
    const std::string per_kind = FactorsByKind(iv.new_family_scale_by_kind);
    log << fmt::format(
        "prediction interval for new software (an image family not in the "
        "training rows): ×/÷ {:.2f}{}, calibrated on folds by image family\n",
        std::exp(*iv.new_family_scale),
        per_kind.empty() ? std::string() : " (by kind: " + per_kind + ")");
  }
  if (model.metadata().ensemble.has_value()) {
    const Ensemble& e = *model.metadata().ensemble;
    log << fmt::format(
        "default model: known software {} ({} out-of-fold rows); new software "
        "{} ({} rows); idle part {:.4g}\n",
        e.seen.Describe(), e.seen_rows, e.unseen.Describe(), e.unseen_rows,
        e.simple.idle);
    if (loaded.rows.rows() > kMaxBlendRows) {
      log << fmt::format(
          "the blend's inner CV used {} of the {} rows (whole workloads; its "
          "cost grows with the square of the rows, the weights need no more)\n",
          BlendSample(loaded.rows.workloads).size(), loaded.rows.rows());
    }
  }
  log << fmt::format(
      "wrote {} ({} rows x {} features, learner {}, k={}, {}, {})\n",
      options.out_path, model.rows(), model.dim(), LearnerName(learner),
      model.options().k, MetricName(knn.metric), WeightsName(knn.weights));
  return summary;
}

}  // namespace podpower::model
