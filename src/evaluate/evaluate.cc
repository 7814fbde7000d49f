#include "evaluate/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "evaluate/baselines.h"
#include "evaluate/report.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "io/parquet.h"
#include "io/progress.h"
#include "io/version.h"
#include "model/default_model.h"
#include "model/group_kfold.h"
#include "model/metrics.h"
#include "model/train.h"
#include "model/workload_traits.h"
#include "simulate/truth.h"

namespace podpower::evaluate {
namespace {

// The default blend runs when it was asked for and every row's traits are
// known; otherwise evaluate measures the KNN alone, as `train` would fit.
bool UsesDefault(const Evaluation& e) {
  return e.options.learner == model::Learner::kDefault &&
         e.data.rows.has_traits();
}

constexpr Baseline kBaselines[] = {Baseline::kTrainingMean,
                                   Baseline::kTrainingMedian,
                                   Baseline::kFamilyMedian, Baseline::kCpuLine};

// Index of the req_cpu_mcpu column in the encoder's numeric block
// (docs/formats/encoder.md: gpu_count, init_container_count, sidecar_count,
// req_cpu_mcpu, ...).
constexpr size_t kCpuFeature = 3;

std::string Str(const io::Column* c, size_t r) {
  return c == nullptr || c->is_null(r) ? std::string() : c->strings[r];
}

// Consecutive neighbours of one workload read as one entry.
std::string SummarizeNeighbours(const model::Prediction& p) {
  std::string out;
  size_t shown = 0;
  for (size_t i = 0; i < p.neighbours.size();) {
    size_t j = i;
    while (j < p.neighbours.size() &&
           p.neighbours[j].workload == p.neighbours[i].workload)
      ++j;
    if (shown == 4) {
      out += fmt::format(", +{} more rows", p.neighbours.size() - i);
      break;
    }
    if (!out.empty()) out += ", ";
    out += p.neighbours[i].workload;
    if (j - i > 1) out += fmt::format(" x{}", j - i);
    out += fmt::format(" (d={:.3g}, y={:.3g})", p.neighbours[i].distance,
                       p.neighbours[i].label);
    ++shown;
    i = j;
  }
  return out;
}

std::vector<int> LeaveOneGroupOutAssign(const std::vector<std::string>& g) {
  const std::set<std::string> distinct(g.begin(), g.end());
  const std::vector<std::string> sorted(distinct.begin(), distinct.end());
  std::vector<int> fold(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    fold[i] = static_cast<int>(
        std::lower_bound(sorted.begin(), sorted.end(), g[i]) - sorted.begin());
  }
  return fold;
}

std::vector<GroupScores> ScoresBy(const Evaluation& e, const SchemeResult& s,
                                  const std::vector<std::string>& key) {
  std::set<std::string> keys(key.begin(), key.end());
  const auto& truth = e.data.rows.labels;
  std::vector<GroupScores> out;
  for (const auto& k : keys) {
    std::vector<char> mask(key.size());
    size_t inside = 0, n = 0;
    for (size_t i = 0; i < key.size(); ++i) {
      mask[i] = key[i] == k;
      if (mask[i]) {
        ++n;
        inside += truth[i] >= s.low[i] && truth[i] <= s.high[i];
      }
    }
    GroupScores g;
    g.key = k;
    g.model = ComputeErrors(truth, s.methods[0].predictions,
                            e.options.mape_floor, mask);
    for (size_t m = 1; m < s.methods.size(); ++m) {
      if (!s.methods[m].baseline) continue;
      const auto b = ComputeErrors(truth, s.methods[m].predictions,
                                   e.options.mape_floor, mask);
      if (g.best_baseline_name.empty() || b.mae < g.best_baseline.mae) {
        g.best_baseline = b;
        g.best_baseline_name = s.methods[m].name;
      }
    }
    g.coverage = static_cast<double>(inside) / static_cast<double>(n);
    out.push_back(g);
  }
  return out;
}

// The blend's candidates as evaluate shows them, in display order after the
// model itself (methods[1 + i] is kShownCandidates[i]); the training mean
// follows them.
struct ShownCandidate {
  model::Candidate candidate;
  const char* name;
  bool baseline;
};
constexpr ShownCandidate kShownCandidates[] = {
    {model::Candidate::kKnn, "KNN", false},
    {model::Candidate::kKnnPerCore, "KNN per core + idle", false},
    {model::Candidate::kFamilyPerCore, "family per core + idle", false},
    {model::Candidate::kFamilyMedian, "per-family median", true},
    {model::Candidate::kResourceLine, "resource line (cores, GPUs)", true},
    {model::Candidate::kGlobalMedian, "training median", true}};

// The methods of a scheme, in display order: the model `train` builds, the
// blend's other candidates, then the baselines.
void AddMethods(const Evaluation& e, SchemeResult* s, size_t n) {
  const auto& opt = e.options;
  const std::string knn_name = fmt::format("KNN (k={}, {}, {})", opt.knn.k,
                                           model::MetricName(opt.knn.metric),
                                           model::WeightsName(opt.knn.weights));
  const auto add = [&](std::string name, bool baseline) {
    s->methods.push_back(
        {std::move(name), baseline, std::vector<double>(n), {}});
  };
  if (UsesDefault(e)) {
    add("podpower default (nested CV)", false);
    for (const auto& shown : kShownCandidates) {
      add(shown.candidate == model::Candidate::kKnn ? knn_name : shown.name,
          shown.baseline);
    }
    add("training mean", true);
  } else {
    add(knn_name, false);
    for (Baseline b : kBaselines) add(BaselineName(b), true);
  }
}

// `groups` are what the folds hold out whole (workloads or image families):
// the intervals' per-kind quantiles weigh how many of them back a kind.
SchemeResult RunScheme(const Evaluation& e, std::string name,
                       std::vector<int> fold_of_row,
                       const std::vector<std::string>& groups) {
  const auto& opt = e.options;
  const auto& rows = e.data.rows;
  const size_t n = rows.rows();
  const bool blend = UsesDefault(e);
  SchemeResult s;
  s.name = std::move(name);
  s.fold_of_row = std::move(fold_of_row);
  s.folds = *std::max_element(s.fold_of_row.begin(), s.fold_of_row.end()) + 1;
  AddMethods(e, &s, n);
  s.label_std.assign(n, 0);
  s.low.assign(n, 0);
  s.high.assign(n, 0);
  s.decided_by_tie.assign(n, 0);
  s.neighbours.assign(n, "");
  s.seen_family.assign(n, -1);
  const BaselineInputs inputs{rows.labels, e.data.families, e.data.cpu};
  std::vector<double> fold_mae, fold_r2;
  io::Progress progress(s.name + " folds", static_cast<uint64_t>(s.folds));
  std::vector<std::vector<size_t>> test_of(s.folds);
  for (int f = 0; f < s.folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < n; ++i)
      (s.fold_of_row[i] == f ? test : train).push_back(i);
    if (!blend && train.size() < static_cast<size_t>(opt.knn.k)) {
      throw Error(fmt::format(
          "{}: {} fold {} leaves {} training rows, fewer than --neighbors {}",
          e.data.source, s.name, f, train.size(), opt.knn.k));
    }
    const auto test_rows = rows.Subset(test);
    std::vector<model::Prediction> predictions;
    if (blend) {
      const auto fold_model =
          model::FitDefaultModel(rows.Subset(train), opt.knn, {});
      predictions = model::PredictPower(fold_model, test_rows.features,
                                        test.size(), &test_rows.traits, true);
      s.blend_sampled |= train.size() > model::kMaxBlendRows;
      const auto& ensemble = *fold_model.metadata().ensemble;
      s.blends.push_back(fmt::format("known software {}; new software {}",
                                     ensemble.seen.Describe(),
                                     ensemble.unseen.Describe()));
    } else {
      const auto fold_model =
          model::KnnModel::Fit(rows.Subset(train), opt.knn, {});
      predictions =
          fold_model.PredictBatch(test_rows.features, test.size(), true);
    }
    std::vector<double> predicted(test.size());
    std::set<std::string> train_families;
    for (size_t i : train) train_families.insert(e.data.families[i]);
    for (size_t t = 0; t < test.size(); ++t) {
      const size_t i = test[t];
      const auto& p = predictions[t];
      predicted[t] = p.value;
      s.methods[0].predictions[i] = p.value;
      if (blend) {
        for (size_t k = 0; k < std::size(kShownCandidates); ++k) {
          s.methods[1 + k].predictions[i] =
              p.candidates[static_cast<size_t>(kShownCandidates[k].candidate)];
        }
      }
      s.label_std[i] = p.label_std;
      s.decided_by_tie[i] = p.decided_by_tie;
      s.tie_decided += p.decided_by_tie;
      s.neighbours[i] = SummarizeNeighbours(p);
      if (!e.data.families[i].empty())
        s.seen_family[i] = train_families.count(e.data.families[i]) ? 1 : 0;
    }
    if (blend) {
      const auto mean =
          PredictBaseline(Baseline::kTrainingMean, inputs, train, test);
      for (size_t t = 0; t < test.size(); ++t)
        s.methods[1 + std::size(kShownCandidates)].predictions[test[t]] =
            mean[t];
    } else {
      for (size_t m = 0; m < std::size(kBaselines); ++m) {
        const auto b = PredictBaseline(kBaselines[m], inputs, train, test);
        for (size_t t = 0; t < test.size(); ++t)
          s.methods[m + 1].predictions[test[t]] = b[t];
      }
    }
    fold_mae.push_back(model::MeanAbsoluteError(test_rows.labels, predicted));
    fold_r2.push_back(model::R2Score(test_rows.labels, predicted));
    test_of[f] = std::move(test);
    progress.Advance();
  }
  s.fold_mae_mean = model::Mean(fold_mae);
  s.fold_mae_std = model::PopulationStd(fold_mae);
  s.fold_r2_mean = model::Mean(fold_r2);
  for (auto& m : s.methods) {
    m.overall = ComputeErrors(rows.labels, m.predictions, opt.mape_floor);
  }
  // The oracle does not depend on the folds: it knows the hidden catalog.
  if (!e.data.oracle.empty() && e.data.oracle_matched == n) {
    s.has_oracle = true;
    s.oracle = ComputeErrors(rows.labels, e.data.oracle, opt.mape_floor);
  }
  // Cross-fitted coverage: each fold's intervals are calibrated on the other
  // folds' out-of-fold residuals, so no row calibrates its own interval.
  size_t inside = 0;
  double width = 0;
  for (int f = 0; f < s.folds; ++f) {
    std::vector<double> t, p;
    std::vector<std::string> kinds, calibration_groups;
    for (size_t i = 0; i < n; ++i) {
      if (s.fold_of_row[i] == f) continue;
      t.push_back(rows.labels[i]);
      p.push_back(s.methods[0].predictions[i]);
      kinds.push_back(e.data.kinds[i]);
      calibration_groups.push_back(groups[i]);
    }
    if (t.empty()) continue;
    const auto c = model::CalibrateLogRatioInterval(
        t, p, kinds, opt.interval_level, calibration_groups);
    for (size_t i : test_of[f]) {
      const auto iv = model::ApplyInterval(c, s.methods[0].predictions[i],
                                           s.label_std[i], e.data.kinds[i]);
      s.low[i] = iv.low;
      s.high[i] = iv.high;
      inside += rows.labels[i] >= iv.low && rows.labels[i] <= iv.high;
      width += iv.high - iv.low;
    }
  }
  s.coverage = static_cast<double>(inside) / static_cast<double>(n);
  s.mean_width = width / static_cast<double>(n);
  s.by_kind = ScoresBy(e, s, e.data.kinds);
  s.by_namespace = ScoresBy(e, s, e.data.namespaces);
  std::vector<std::string> seen(n);
  for (size_t i = 0; i < n; ++i) {
    seen[i] = s.seen_family[i] == 1   ? "seen family"
              : s.seen_family[i] == 0 ? "unseen family"
                                      : "unknown family";
  }
  s.by_family_seen = ScoresBy(e, s, seen);
  return s;
}

std::string Percent(double fraction) {
  return std::isnan(fraction) ? std::string("n/a")
                              : fmt::format("{:.1f}%", 100 * fraction);
}

std::string MetricsRow(const std::string& name, const ErrorMetrics& m) {
  return fmt::format("  {:<34} {:>10.3f} {:>10.3f} {:>8} {:>9.3f}\n", name,
                     m.mae, m.rmse, Percent(m.mape), m.r2);
}

std::string GroupTable(const std::string& title,
                       const std::vector<GroupScores>& groups) {
  std::string out =
      fmt::format("  {:<28} {:>6} {:>10} {:>8} {:>10} {:>9} {:>9}  {}\n", title,
                  "rows", "model MAE", "MAPE", "best base", "its MAPE",
                  "coverage", "best baseline");
  for (const auto& g : groups) {
    out += fmt::format(
        "  {:<28} {:>6} {:>10.3f} {:>8} {:>10.3f} {:>9} {:>9}  {}\n", g.key,
        g.model.n, g.model.mae, Percent(g.model.mape), g.best_baseline.mae,
        Percent(g.best_baseline.mape), Percent(g.coverage),
        g.best_baseline_name);
  }
  return out;
}

}  // namespace

EvalData LoadEvalData(const io::Table& table, const std::string& target,
                      bool aggregate,
                      const std::vector<io::InferenceRequest>* requests) {
  EvalData d;
  d.source = table.source.empty() ? "training table" : table.source;
  model::LoadedRows loaded =
      model::LoadTrainingRows(table, target, aggregate, requests);
  d.rows = std::move(loaded.rows);
  d.traits_source = loaded.traits_source;
  d.pre_aggregated = loaded.pre_aggregated;
  d.input_rows = loaded.input_rows;
  d.dropped_non_finite = loaded.dropped_non_finite;
  const io::Column& label = table.Require(target, io::ColumnType::kDouble);
  const io::Column& features =
      table.Require("features", io::ColumnType::kFloatList);
  const io::Column& workload =
      table.Require("workload_name", io::ColumnType::kString);
  const io::Column& kind =
      table.Require("workload_kind", io::ColumnType::kString);
  const io::Column& ns = table.Require("namespace", io::ColumnType::kString);
  const io::Column* spec = table.Find("_spec_hash");
  if (spec != nullptr && spec->type != io::ColumnType::kString) spec = nullptr;
  // Replays LoadTrainingRows' filter and first-occurrence aggregation order to
  // recover each row's keys.
  using Key = std::tuple<std::string, std::string, std::string, std::string,
                         std::string>;
  std::set<Key> seen;
  for (size_t r = 0; r < table.rows(); ++r) {
    if (label.is_null(r) || !std::isfinite(label.doubles[r])) continue;
    if (aggregate) {
      const auto f = features.list(r);
      Key key{Str(&ns, r), Str(&kind, r), Str(&workload, r), Str(spec, r),
              std::string(reinterpret_cast<const char*>(f.data()),
                          f.size() * sizeof(float))};
      if (!seen.insert(std::move(key)).second) continue;
    }
    d.kinds.push_back(Str(&kind, r));
    d.namespaces.push_back(Str(&ns, r));
    d.spec_hashes.push_back(Str(spec, r));
  }
  if (d.kinds.size() != d.rows.rows()) {
    throw Error(d.source + ": internal error: row keys out of step");
  }
  const std::set<std::string> distinct(d.rows.workloads.begin(),
                                       d.rows.workloads.end());
  d.workloads = distinct.size();
  if (d.workloads < 2) {
    throw Error(fmt::format(
        "{}: column 'workload_name': {} distinct workload(s) with a finite {}; "
        "grouped cross-validation needs at least 2",
        d.source, d.workloads, target));
  }
  const size_t n = d.rows.rows();
  d.families.assign(n, "");
  if (d.rows.has_traits()) {
    d.cpu.resize(n);
    for (size_t i = 0; i < n; ++i) {
      d.families[i] = d.rows.traits[i].family;
      d.cpu[i] = d.rows.traits[i].cpu_cores;
      d.family_matched += !d.families[i].empty();
    }
    d.cpu_source = "CPU cores requested (limits where no request), from " +
                   d.traits_source;
  } else if (d.rows.dim > kCpuFeature) {
    // Some rows unmatched: families where known (the breakdown's "unknown
    // family" holds the rest), the CPU line on the standardized feature.
    if (requests != nullptr) {
      std::map<std::string, std::string> family_of;
      for (const auto& r : *requests)
        family_of.emplace(io::SpecHash(r), model::WorkloadFamily(r));
      for (size_t i = 0; i < n; ++i) {
        auto it = family_of.find(d.spec_hashes[i]);
        if (it == family_of.end()) continue;
        d.families[i] = it->second;
        d.family_matched += !it->second.empty();
      }
    }
    d.cpu.resize(n);
    for (size_t i = 0; i < n; ++i)
      d.cpu[i] = d.rows.features[i * d.rows.dim + kCpuFeature];
    d.cpu_source =
        "features[3] (standardized req_cpu_mcpu; the fit is the same as on "
        "cores)";
  } else {
    d.cpu.assign(n, 0);
    d.cpu_source = "none (features shorter than 4): the line is the mean";
  }
  return d;
}

Evaluation Evaluate(const EvaluateOptions& options, EvalData data) {
  if (options.knn.k < 1)
    throw Error(
        fmt::format("--neighbors: expected >= 1, got {}", options.knn.k));
  Evaluation e;
  e.options = options;
  e.data = std::move(data);
  const int folds = static_cast<int>(std::min<size_t>(5, e.data.workloads));
  e.schemes.push_back(
      RunScheme(e, fmt::format("GroupKFold({}) by workload", folds),
                model::GroupKFoldAssign(e.data.rows.workloads, folds),
                e.data.rows.workloads));
  if (options.leave_one_group_out && e.data.workloads > 2) {
    if (e.data.workloads <= kMaxLeaveOneOutWorkloads) {
      e.schemes.push_back(RunScheme(
          e, fmt::format("LeaveOneGroupOut ({} workloads)", e.data.workloads),
          LeaveOneGroupOutAssign(e.data.rows.workloads),
          e.data.rows.workloads));
    } else {
      e.schemes.push_back(RunScheme(
          e,
          fmt::format("GroupKFold({}) by workload (not leave-one-out: {} "
                      "workloads > {})",
                      kManyFolds, e.data.workloads, kMaxLeaveOneOutWorkloads),
          model::GroupKFoldAssign(e.data.rows.workloads, kManyFolds),
          e.data.rows.workloads));
    }
  }
  // Unseen software: hold out whole image families, so every prediction is
  // for a family the model never saw (only when every row's family is known).
  const std::set<std::string> families(e.data.families.begin(),
                                       e.data.families.end());
  if (e.data.family_matched == e.data.rows.rows() && families.size() >= 2) {
    const int family_folds =
        static_cast<int>(std::min<size_t>(5, families.size()));
    e.schemes.push_back(RunScheme(
        e, fmt::format("GroupKFold({}) by image family", family_folds),
        model::GroupKFoldAssign(e.data.families, family_folds),
        e.data.families));
  }
  if (options.search) {
    e.search = model::SearchKnn(e.data.rows, model::SearchSpace{});
    e.searched = true;
  }
  const auto& s = e.schemes[0];
  e.calibration = model::CalibrateLogRatioInterval(
      e.data.rows.labels, s.methods[0].predictions, e.data.kinds,
      options.interval_level, e.data.rows.workloads);
  return e;
}

std::string FormatEvaluation(const Evaluation& e) {
  const auto& d = e.data;
  const auto& o = e.options;
  std::string out = fmt::format(
      "evaluate {}: target {}, {} rows{} from {} workloads{}\n", d.source,
      o.target, d.rows.rows(),
      d.dropped_non_finite
          ? fmt::format(" ({} of {} dropped: non-finite {})",
                        d.dropped_non_finite, d.input_rows, o.target)
          : std::string(),
      d.workloads,
      o.aggregate || d.pre_aggregated ? " (aggregated per workload and spec)"
                                      : "");
  out += fmt::format("image families: {} of {} rows matched{}\n",
                     d.family_matched, d.rows.rows(),
                     o.requests_path.empty()
                         ? " (no --requests given)"
                         : " by _spec_hash in " + o.requests_path);
  out += fmt::format("CPU baseline uses: {}\n", d.cpu_source);
  if (!o.truth_path.empty()) {
    out += fmt::format(
        "oracle: {} of {} rows matched by (namespace, workload_name) in "
        "{}{}\n",
        d.oracle_matched, d.rows.rows(), o.truth_path,
        d.oracle_matched == d.rows.rows() ? "" : " (not scored: some missing)");
  }
  out += fmt::format(
      "model: {}\n",
      UsesDefault(e)
          ? "the default blend (knn, knn per core, family median, family per "
            "core, resource line, global median), weights chosen inside each "
            "fold"
          : fmt::format("the KNN alone ({})",
                        o.learner == model::Learner::kKnn
                            ? "--learner knn"
                            : "traits unknown: " + d.traits_source));
  out += fmt::format(
      "MAPE is over labels > {} only; metrics pool all out-of-fold "
      "predictions\n",
      o.mape_floor);
  for (const auto& s : e.schemes) {
    out += fmt::format("\n== {} ({} folds) ==\n", s.name, s.folds);
    out += fmt::format(
        "  original-style line (mean of fold scores): CV MAE: {:.3f} ± {:.3f} "
        "| R2: {:.3f}\n",
        s.fold_mae_mean, s.fold_mae_std, s.fold_r2_mean);
    if (!o.compare_line.empty())
      out += fmt::format("  compare with:                              {}\n",
                         o.compare_line);
    out += fmt::format("  {:<34} {:>10} {:>10} {:>8} {:>9}\n", "method", "MAE",
                       "RMSE", "MAPE", "R2");
    const MethodScores* best = nullptr;
    for (const auto& m : s.methods) {
      out += MetricsRow(m.name + (m.baseline ? " [baseline]" : ""), m.overall);
      if (m.baseline && (best == nullptr || m.overall.mae < best->overall.mae))
        best = &m;
    }
    if (s.has_oracle)
      out += MetricsRow("oracle (--truth: the floor)", s.oracle);
    if (best != nullptr) {
      out += fmt::format(
          "  {} MAE / best baseline ({}) MAE: {:.3f}{}\n", s.methods[0].name,
          best->name, s.methods[0].overall.mae / best->overall.mae,
          s.has_oracle ? fmt::format("; MAPE / oracle MAPE: {:.3f}",
                                     s.methods[0].overall.mape / s.oracle.mape)
                       : std::string());
    }
    if (!s.blends.empty()) {
      std::map<std::string, int> counts;
      for (const auto& b : s.blends) ++counts[b];
      out += "  blend chosen inside each fold";
      if (s.blend_sampled) {
        out += fmt::format(
            " (its inner CV on a sample of at most {} rows, whole workloads)",
            model::kMaxBlendRows);
      }
      out += ":\n";
      for (const auto& [b, count] : counts)
        out += fmt::format("    {} fold(s): {}\n", count, b);
    }
    out += fmt::format("  MAPE over {} of {} labels > {}\n",
                       s.methods[0].overall.mape_n, s.methods[0].overall.n,
                       o.mape_floor);
    out += fmt::format(
        "  {} of {} neighbour searches were decided by ties at the k-th "
        "distance\n",
        s.tie_decided, d.rows.rows());
    out += fmt::format(
        "  {:.0f}% interval: coverage {} (cross-fitted), mean width {:.3f}\n",
        100 * o.interval_level, Percent(s.coverage), s.mean_width);
    out += GroupTable("by family", s.by_family_seen);
    out += GroupTable("by workload kind", s.by_kind);
    out += GroupTable("by namespace", s.by_namespace);
  }
  if (e.searched) {
    auto scores = e.search.scores;
    std::stable_sort(
        scores.begin(), scores.end(),
        [](const auto& a, const auto& b) { return a.mae < b.mae; });
    out += fmt::format("\n== search: k, metric, weights by {} CV MAE ==\n",
                       e.schemes[0].name);
    for (size_t i = 0; i < scores.size() && i < 8; ++i) {
      out +=
          fmt::format("  {:<34} {:>10.3f}\n",
                      model::DescribeOptions(scores[i].options), scores[i].mae);
    }
    std::string choices;
    for (const auto& c : e.search.outer_choices)
      choices += (choices.empty() ? "" : "; ") + model::DescribeOptions(c);
    out += fmt::format(
        "  best: {} (MAE {:.3f}, optimistic: chosen on these folds); nested "
        "CV MAE of choosing {:.3f} (outer folds chose: {}); `train --auto` "
        "uses the best\n",
        model::DescribeOptions(e.search.best), e.search.best_mae,
        e.search.nested_mae, choices);
  }
  out += fmt::format(
      "\ninterval stored by `train`: {:.0f}% = prediction ×/÷ {:.2f} "
      "(pooled; per kind with >= {} rows)\n",
      100 * e.calibration.level, std::exp(e.calibration.scale),
      model::kMinRowsPerKind);
  return out;
}

void AttachOracle(const EvaluateOptions& options, EvalData* data) {
  double scale = 1;
  if (options.target == "energy_step_j") {
    scale = options.truth_step;
  } else if (options.target != "avg_power_w") {
    throw Error(
        "--truth: the oracle is in watts per pod; use --target "
        "avg_power_w or energy_step_j, not " +
        options.target);
  }
  if (!(options.truth_step > 0))
    throw Error(fmt::format("--truth-step: expected seconds > 0, got {}",
                            options.truth_step));
  std::map<std::pair<std::string, std::string>, double> by_name;
  for (const auto& [key, truth] :
       simulate::ReadWorkloadTruth(options.truth_path))
    by_name[{std::get<0>(key), std::get<2>(key)}] =
        truth.oracle_label_watts_per_pod * scale;
  const size_t n = data->rows.rows();
  data->oracle.assign(n, std::nan(""));
  data->oracle_matched = 0;
  for (size_t i = 0; i < n; ++i) {
    auto it = by_name.find({data->namespaces[i], data->rows.workloads[i]});
    if (it == by_name.end()) continue;
    data->oracle[i] = it->second;
    ++data->oracle_matched;
  }
}

std::string EvaluationJson(const Evaluation& e) {
  using Json = nlohmann::ordered_json;
  const auto number = [](double v) { return std::isnan(v) ? Json() : Json(v); };
  const auto metrics = [&](const ErrorMetrics& m) {
    Json j;
    j["n"] = m.n;
    j["mae"] = number(m.mae);
    j["rmse"] = number(m.rmse);
    j["mape"] = number(m.mape);
    j["r2"] = number(m.r2);
    return j;
  };
  nlohmann::ordered_json j;
  j["podpower_version"] = Version();  // which build wrote this summary
  j["podpower_commit"] = Commit();
  j["source"] = e.data.source;
  j["target"] = e.options.target;
  j["rows"] = e.data.rows.rows();
  j["workloads"] = e.data.workloads;
  j["model"] = UsesDefault(e) ? "default" : "knn";
  auto schemes = nlohmann::ordered_json::array();
  for (const auto& s : e.schemes) {
    nlohmann::ordered_json js;
    js["name"] = s.name;
    js["folds"] = s.folds;
    auto methods = nlohmann::ordered_json::array();
    for (const auto& m : s.methods) {
      auto jm = metrics(m.overall);
      jm["name"] = m.name;
      jm["baseline"] = m.baseline;
      methods.push_back(std::move(jm));
    }
    js["methods"] = std::move(methods);
    if (s.has_oracle) js["oracle"] = metrics(s.oracle);
    js["coverage"] = s.coverage;
    js["mean_width"] = s.mean_width;
    js["blends"] = s.blends;
    for (const auto& [key, groups] :
         {std::pair<const char*, const std::vector<GroupScores>*>{
              "by_family", &s.by_family_seen},
          {"by_kind", &s.by_kind}}) {
      auto jg = nlohmann::ordered_json::array();
      for (const auto& g : *groups) {
        Json one;
        one["key"] = g.key;
        one["model"] = metrics(g.model);
        one["best_baseline"] = metrics(g.best_baseline);
        one["best_baseline_name"] = g.best_baseline_name;
        one["coverage"] = number(g.coverage);
        jg.push_back(std::move(one));
      }
      js[key] = std::move(jg);
    }
    schemes.push_back(std::move(js));
  }
  j["schemes"] = std::move(schemes);
  return j.dump(1) + "\n";
}

Evaluation RunEvaluate(const EvaluateOptions& options, std::ostream& out,
                       std::ostream& log) {
  if (!model::IsKnownTarget(options.target)) {
    throw Error(
        "--target: expected avg_power_w, energy_step_j or "
        "total_energy_j, got '" +
        options.target + "'");
  }
  if (!(options.interval_level > 0 && options.interval_level < 1)) {
    throw Error(
        fmt::format("--interval-level: expected a value in (0, 1), "
                    "got {}",
                    options.interval_level));
  }
  io::Table table = io::ReadParquetInput(options.train_path);
  std::vector<io::InferenceRequest> requests;
  if (!options.requests_path.empty())
    requests = io::ReadInferenceRequests(options.requests_path).records;
  EvalData data =
      LoadEvalData(table, options.target, options.aggregate,
                   options.requests_path.empty() ? nullptr : &requests);
  if (!options.truth_path.empty()) AttachOracle(options, &data);
  const Evaluation e = Evaluate(options, std::move(data));
  out << FormatEvaluation(e);
  if (!options.report_path.empty()) {
    io::WriteTextFile(options.report_path, RenderReport(e));
    log << "wrote report " << options.report_path << "\n";
  }
  if (!options.json_path.empty()) {
    io::WriteTextFile(options.json_path, EvaluationJson(e));
    log << "wrote " << options.json_path << "\n";
  }
  return e;
}

}  // namespace podpower::evaluate
