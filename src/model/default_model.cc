#include "model/default_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "io/error.h"
#include "io/progress.h"
#include "model/group_kfold.h"

namespace podpower::model {
namespace {

// A blend fitted on fewer out-of-fold rows than this is noise; such a
// stratum uses the blend of all rows instead.
constexpr size_t kMinBlendRows = 10;

size_t Distinct(const std::vector<std::string>& keys) {
  return std::set<std::string>(keys.begin(), keys.end()).size();
}

std::vector<size_t> AllRows(size_t n) {
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

struct OutOfFold {
  std::vector<CandidateValues> values;
  std::vector<uint8_t> seen;  // the row's family was in its training fold
};

// Candidate values of every row, each predicted by candidates fitted on the
// other folds.
OutOfFold CandidatesOutOfFold(const TrainingRows& rows,
                              const KnnOptions& options,
                              const std::vector<int>& fold_of_row) {
  OutOfFold out;
  out.values.assign(rows.rows(), CandidateValues{});
  out.seen.assign(rows.rows(), 0);
  const int folds =
      *std::max_element(fold_of_row.begin(), fold_of_row.end()) + 1;
  for (int f = 0; f < folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.rows(); ++i)
      (fold_of_row[i] == f ? test : train).push_back(i);
    if (train.empty() || test.empty()) continue;
    const TrainingRows train_rows = rows.Subset(train);
    const TrainingRows test_rows = rows.Subset(test);
    const SimpleFit simple = SimpleFit::Fit(
        train_rows.labels, train_rows.traits, AllRows(train.size()));
    const KnnModel knn = KnnModel::Fit(
        train_rows, FoldOptions(options, train.size()), KnnMetadata{});
    const CandidatePredictions p = PredictCandidates(
        knn, simple, test_rows.features, test.size(), test_rows.traits);
    for (size_t t = 0; t < test.size(); ++t) {
      out.values[test[t]] = p.values[t];
      out.seen[test[t]] =
          simple.family_median.contains(test_rows.traits[t].family);
    }
  }
  return out;
}

std::string Number(double v) { return fmt::format("{:.3g}", v); }

std::string Explain(const Prediction& p, const WorkloadTraits& query,
                    const SimpleFit& simple) {
  std::string out;
  for (size_t c = 0; c < kCandidateCount; ++c) {
    const double w = p.blend.w[c];
    if (w < 0.005) continue;
    if (!out.empty()) out += " + ";
    out += fmt::format("{:.2f} × {} ", w, CandidateName(c));
    const auto family = simple.family_intensity.find(query.family);
    if (static_cast<Candidate>(c) == Candidate::kKnnPerCore &&
        p.intensity > 0) {
      out += fmt::format("({}/core × {} cores + {} idle = {})",
                         Number(p.intensity), Number(query.cpu_cores),
                         Number(simple.idle), Number(p.candidates[c]));
    } else if (static_cast<Candidate>(c) == Candidate::kFamilyPerCore &&
               query.cpu_cores > 0 && family != simple.family_intensity.end()) {
      const auto own_idle = simple.family_idle.find(query.family);
      out += fmt::format(
          "({}/core × {} cores + {} idle = {})", Number(family->second),
          Number(query.cpu_cores),
          Number(own_idle == simple.family_idle.end() ? simple.idle
                                                      : own_idle->second),
          Number(p.candidates[c]));
    } else {
      out += Number(p.candidates[c]);
    }
  }
  return out;
}

}  // namespace

KnnOptions FoldOptions(const KnnOptions& options, size_t train_rows) {
  KnnOptions o = options;
  o.k = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(options.k), train_rows));
  return o;
}

CandidatePredictions PredictCandidates(
    const KnnModel& knn, const SimpleFit& simple,
    std::span<const float> queries, size_t count,
    const std::vector<WorkloadTraits>& traits) {
  if (traits.size() != count)
    throw Error("default model: one traits entry per query is required");
  if (knn.traits().size() != knn.rows())
    throw Error("default model: the KNN's training rows carry no traits");
  CandidatePredictions out;
  out.knn = knn.PredictBatch(queries, count, /*with_neighbours=*/true);
  out.values.resize(count);
  out.per_core.resize(count);
  std::vector<size_t> rows;
  std::vector<double> weights;
  for (size_t q = 0; q < count; ++q) {
    const Prediction& p = out.knn[q];
    rows.clear();
    weights.clear();
    for (const Neighbour& n : p.neighbours) {
      rows.push_back(n.row);
      weights.push_back(n.weight);
    }
    out.per_core[q] = KnnPerCore(p.value, rows, weights, knn.labels(),
                                 knn.traits(), traits[q], simple.idle);
    CandidateValues& v = out.values[q];
    v[static_cast<size_t>(Candidate::kKnn)] = p.value;
    v[static_cast<size_t>(Candidate::kKnnPerCore)] = out.per_core[q].value;
    v[static_cast<size_t>(Candidate::kFamilyMedian)] =
        simple.FamilyMedian(traits[q]);
    v[static_cast<size_t>(Candidate::kFamilyPerCore)] =
        simple.FamilyPerCore(traits[q]);
    v[static_cast<size_t>(Candidate::kResourceLine)] =
        simple.ResourceLine(traits[q]);
    v[static_cast<size_t>(Candidate::kGlobalMedian)] = simple.global_median;
  }
  return out;
}

std::vector<size_t> BlendSample(const std::vector<std::string>& workloads) {
  std::vector<size_t> sample;
  if (workloads.size() <= kMaxBlendRows) {
    sample.resize(workloads.size());
    for (size_t i = 0; i < sample.size(); ++i) sample[i] = i;
    return sample;
  }
  std::map<std::string, std::vector<size_t>> rows_of;
  for (size_t i = 0; i < workloads.size(); ++i)
    rows_of[workloads[i]].push_back(i);
  // FNV-1a of the name: a fixed, well-mixed order, unlike std::hash.
  auto fnv = [](const std::string& name) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    return h;
  };
  std::vector<std::pair<uint64_t, const std::string*>> order;
  for (const auto& [name, rows] : rows_of) order.emplace_back(fnv(name), &name);
  std::sort(order.begin(), order.end());
  for (const auto& [hash, name] : order) {
    const auto& rows = rows_of.at(*name);
    if (sample.size() + rows.size() > kMaxBlendRows && !sample.empty()) break;
    sample.insert(sample.end(), rows.begin(), rows.end());
  }
  std::sort(sample.begin(), sample.end());
  return sample;
}

Ensemble FitEnsemble(const TrainingRows& all_rows, const KnnOptions& options,
                     NewFamilyOutOfFold* new_family) {
  if (new_family != nullptr) *new_family = {};
  if (!all_rows.has_traits())
    throw Error(
        "default model: the training rows carry no cpu_cores/gpus/"
        "image_family (re-run `podpower encode transform` and `join`, or give "
        "--requests), or use --learner knn");
  Ensemble e;
  e.simple = SimpleFit::Fit(all_rows.labels, all_rows.traits,
                            AllRows(all_rows.rows()));
  const std::vector<size_t> sample = BlendSample(all_rows.workloads);
  const bool sampled = sample.size() < all_rows.rows();
  const TrainingRows subset =
      sampled ? all_rows.Subset(sample) : TrainingRows{};
  const TrainingRows& rows = sampled ? subset : all_rows;
  const size_t workloads = Distinct(rows.workloads);
  if (workloads < 2) {
    e.seen.w[static_cast<size_t>(Candidate::kGlobalMedian)] = 1;
    e.unseen = e.seen;
    return e;
  }
  std::array<bool, kCandidateCount> available = kAllCandidates;
  available[static_cast<size_t>(Candidate::kKnnPerCore)] =
      std::any_of(rows.traits.begin(), rows.traits.end(),
                  [](const WorkloadTraits& t) { return t.cpu_cores > 0; });
  // Folds by workload: how each candidate does for the next replica set of
  // known software (and, where a family sat in one fold only, for new
  // software).
  const OutOfFold by_workload = CandidatesOutOfFold(
      rows, options,
      GroupKFoldAssign(rows.workloads,
                       static_cast<int>(std::min<size_t>(5, workloads))));
  // Rows of one group are not independent evidence for a blend: a workload
  // for known software, a family for new software (each appears in both
  // splits, so counting it twice would overstate the evidence).
  std::vector<CandidateValues> seen_values, unseen_values;
  std::vector<double> seen_truth, unseen_truth;
  std::vector<std::string> seen_groups, unseen_groups;
  for (size_t i = 0; i < rows.rows(); ++i) {
    const bool seen = by_workload.seen[i];
    (seen ? seen_values : unseen_values).push_back(by_workload.values[i]);
    (seen ? seen_truth : unseen_truth).push_back(rows.labels[i]);
    if (seen) {
      seen_groups.push_back(rows.workloads[i]);
    } else {
      unseen_groups.push_back(rows.traits[i].family);
    }
  }
  // Folds by family: every prediction is for software the fold never saw.
  std::vector<std::string> families(rows.rows());
  for (size_t i = 0; i < rows.rows(); ++i) families[i] = rows.traits[i].family;
  const size_t family_count = Distinct(families);
  std::vector<CandidateValues> by_family_values;
  if (family_count >= 2) {
    OutOfFold by_family = CandidatesOutOfFold(
        rows, options,
        GroupKFoldAssign(families,
                         static_cast<int>(std::min<size_t>(5, family_count))));
    unseen_values.insert(unseen_values.end(), by_family.values.begin(),
                         by_family.values.end());
    unseen_truth.insert(unseen_truth.end(), rows.labels.begin(),
                        rows.labels.end());
    unseen_groups.insert(unseen_groups.end(), families.begin(), families.end());
    by_family_values = std::move(by_family.values);
  }
  const BlendWeights pooled =
      FitBlend(by_workload.values, rows.labels, available, rows.workloads);
  e.seen_rows = seen_truth.size();
  e.unseen_rows = unseen_truth.size();
  e.seen = seen_truth.size() >= kMinBlendRows
               ? FitBlend(seen_values, seen_truth, available, seen_groups)
               : pooled;
  e.unseen =
      unseen_truth.size() >= kMinBlendRows
          ? FitBlend(unseen_values, unseen_truth, available, unseen_groups)
          : pooled;
  if (new_family != nullptr && !by_family_values.empty()) {
    new_family->rows = sample;
    for (const CandidateValues& v : by_family_values)
      new_family->predicted.push_back(e.unseen.Apply(v));
  }
  return e;
}

KnnModel FitDefaultModel(TrainingRows rows, const KnnOptions& options,
                         KnnMetadata metadata) {
  IntervalCalibration& interval = metadata.interval;
  const bool calibrate_new_family =
      interval.enabled() && interval.method == IntervalMethod::kLogRatioByKind;
  NewFamilyOutOfFold new_family;
  metadata.ensemble =
      FitEnsemble(rows, options, calibrate_new_family ? &new_family : nullptr);
  if (!new_family.rows.empty()) {
    std::vector<double> truth;
    std::vector<std::string> kinds, families;
    for (size_t i : new_family.rows) {
      truth.push_back(rows.labels[i]);
      kinds.push_back(rows.traits[i].kind);
      families.push_back(rows.traits[i].family);
    }
    CalibrateNewFamilyInterval(truth, new_family.predicted, kinds, families,
                               &interval);
  }
  const KnnOptions fit_options = FoldOptions(options, rows.rows());
  return KnnModel::Fit(std::move(rows), fit_options, metadata);
}

std::vector<Prediction> PredictPower(const KnnModel& model,
                                     std::span<const float> queries,
                                     size_t count,
                                     const std::vector<WorkloadTraits>* traits,
                                     bool with_neighbours) {
  const auto& ensemble = model.metadata().ensemble;
  const IntervalCalibration& interval = model.metadata().interval;
  if (traits != nullptr && traits->size() != count)
    throw Error("default model: one traits entry per query is required");
  if (!ensemble.has_value() || traits == nullptr) {
    std::vector<Prediction> out =
        model.PredictBatch(queries, count, with_neighbours);
    // The interval's quantile may depend on the kind, which only the traits
    // know.
    if (traits != nullptr && interval.enabled() &&
        interval.method == IntervalMethod::kLogRatioByKind) {
      for (size_t q = 0; q < count; ++q) {
        const Interval iv = ApplyInterval(interval, out[q].value,
                                          out[q].label_std, (*traits)[q].kind);
        out[q].interval_low = iv.low;
        out[q].interval_high = iv.high;
      }
    }
    return out;
  }
  CandidatePredictions c =
      PredictCandidates(model, ensemble->simple, queries, count, *traits);
  std::vector<Prediction> out = std::move(c.knn);
  for (size_t q = 0; q < count; ++q) {
    Prediction& p = out[q];
    const WorkloadTraits& t = (*traits)[q];
    p.blended = true;
    p.candidates = c.values[q];
    p.new_family = !ensemble->simple.family_median.contains(t.family);
    p.blend = p.new_family ? ensemble->unseen : ensemble->seen;
    p.intensity = c.per_core[q].intensity;
    p.value = p.blend.Apply(p.candidates);
    p.explanation = Explain(p, t, ensemble->simple);
    if (interval.enabled()) {
      const Interval iv =
          ApplyInterval(interval, p.value, p.label_std, t.kind, p.new_family);
      p.has_interval = true;
      p.interval_level = interval.level;
      p.interval_low = iv.low;
      p.interval_high = iv.high;
    }
    if (!with_neighbours) p.neighbours.clear();
  }
  return out;
}

std::vector<Prediction> DefaultOutOfFold(const TrainingRows& rows,
                                         const KnnOptions& options,
                                         const std::vector<int>& fold_of_row) {
  std::vector<Prediction> out(rows.rows());
  const int folds =
      *std::max_element(fold_of_row.begin(), fold_of_row.end()) + 1;
  io::Progress progress("nested cross-validation folds",
                        static_cast<uint64_t>(folds));
  for (int f = 0; f < folds; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.rows(); ++i)
      (fold_of_row[i] == f ? test : train).push_back(i);
    if (test.empty()) continue;
    if (train.empty())
      throw Error(
          fmt::format("cross-validation fold {} has no training rows", f));
    const TrainingRows test_rows = rows.Subset(test);
    const KnnModel model =
        FitDefaultModel(rows.Subset(train), options, KnnMetadata{});
    std::vector<Prediction> p = PredictPower(
        model, test_rows.features, test.size(), &test_rows.traits, true);
    for (size_t t = 0; t < test.size(); ++t) out[test[t]] = std::move(p[t]);
    progress.Advance();
  }
  return out;
}

}  // namespace podpower::model
