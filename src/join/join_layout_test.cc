// join's two layouts give train the same rows: the aggregated layout (DuckDB,
// out of core) against the wide layout + train --aggregate (in memory).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "io/error.h"
#include "io/inference_request.h"
#include "io/parquet.h"
#include "io/testing.h"
#include "join/join.h"
#include "model/train.h"

namespace podpower::join {
namespace {

namespace fs = std::filesystem;
using io::Column;
using io::ColumnType;
using io::Table;
using ::testing::HasSubstr;

const std::string kData = podpower::testing::SourcePath("examples/data");

class JoinLayouts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = podpower::testing::MakeTempDir("podpower_join_layout");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  // Joins in both layouts and loads each as train does.
  void LoadBoth(const std::string& features, const std::string& labels,
                const std::string& target, model::LoadedRows* wide,
                model::LoadedRows* aggregated,
                const std::vector<io::InferenceRequest>* requests = nullptr) {
    JoinOptions options;
    options.layout = Layout::kWide;
    std::ostringstream log;
    JoinFiles(features, labels, Path("wide.parquet"), options, log);
    options.layout = Layout::kAggregated;
    JoinFiles(features, labels, Path("agg.parquet"), options, log);
    const Table w = io::ReadParquet(Path("wide.parquet"));
    const Table a = io::ReadParquet(Path("agg.parquet"));
    ASSERT_FALSE(model::IsAggregatedLayout(w));
    ASSERT_TRUE(model::IsAggregatedLayout(a));
    *wide = model::LoadTrainingRows(w, target, true, requests);
    // --aggregate or not: the aggregated layout reads the same.
    *aggregated = model::LoadTrainingRows(a, target, false, requests);
    const model::LoadedRows again =
        model::LoadTrainingRows(a, target, true, requests);
    ASSERT_EQ(again.rows.labels, aggregated->rows.labels);
  }
  fs::path dir_;
};

// Bit for bit: labels (the means), features, workloads, traits, kinds.
// Workloads in `repeated` have a feature point twice: the wide layout sums each
// label row twice, so their means agree to rounding only (1e-12 relative) and
// their label counts differ.
void ExpectSameRows(const model::LoadedRows& a, const model::LoadedRows& b,
                    const std::set<std::string>& repeated = {},
                    bool points_repeat = false) {
  ASSERT_EQ(a.rows.rows(), b.rows.rows());
  ASSERT_EQ(a.rows.dim, b.rows.dim);
  EXPECT_EQ(a.rows.workloads, b.rows.workloads);
  EXPECT_EQ(a.kinds, b.kinds);
  if (repeated.empty() && !points_repeat) {
    EXPECT_EQ(a.aggregated_from, b.aggregated_from);
  }
  for (size_t i = 0; i < a.rows.rows(); ++i) {
    if (repeated.contains(a.rows.workloads[i])) {
      EXPECT_NEAR(a.rows.labels[i], b.rows.labels[i],
                  1e-12 * std::abs(a.rows.labels[i]));
      continue;
    }
    EXPECT_EQ(0, std::memcmp(&a.rows.labels[i], &b.rows.labels[i], 8))
        << "row " << i << " (" << a.rows.workloads[i]
        << "): " << a.rows.labels[i] << " vs " << b.rows.labels[i];
  }
  EXPECT_EQ(0, std::memcmp(a.rows.features.data(), b.rows.features.data(),
                           a.rows.features.size() * sizeof(float)));
  ASSERT_EQ(a.rows.traits.size(), b.rows.traits.size());
  for (size_t i = 0; i < a.rows.traits.size(); ++i) {
    EXPECT_EQ(a.rows.traits[i].cpu_cores, b.rows.traits[i].cpu_cores);
    EXPECT_EQ(a.rows.traits[i].gpus, b.rows.traits[i].gpus);
    EXPECT_EQ(a.rows.traits[i].family, b.rows.traits[i].family);
  }
}

// The same rows in another order: (workload, first feature, label) sorted.
void ExpectSameRowSet(const model::LoadedRows& a, const model::LoadedRows& b,
                      const std::set<std::string>& repeated) {
  ASSERT_EQ(a.rows.rows(), b.rows.rows());
  const auto sorted = [](const model::LoadedRows& l) {
    std::vector<std::tuple<std::string, float, double>> out;
    for (size_t i = 0; i < l.rows.rows(); ++i)
      out.emplace_back(l.rows.workloads[i], l.rows.features[i * l.rows.dim],
                       l.rows.labels[i]);
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto sa = sorted(a);
  const auto sb = sorted(b);
  for (size_t i = 0; i < sa.size(); ++i) {
    ASSERT_EQ(std::get<0>(sa[i]), std::get<0>(sb[i]));
    ASSERT_EQ(std::get<1>(sa[i]), std::get<1>(sb[i]));
    if (repeated.contains(std::get<0>(sa[i]))) {
      EXPECT_NEAR(std::get<2>(sa[i]), std::get<2>(sb[i]),
                  1e-12 * std::abs(std::get<2>(sa[i])));
    } else {
      EXPECT_EQ(std::get<2>(sa[i]), std::get<2>(sb[i])) << std::get<0>(sa[i]);
    }
  }
}

void ExpectSamePredictions(const model::LoadedRows& a,
                           const model::LoadedRows& b, model::Learner learner) {
  model::KnnOptions knn;
  knn.k = 3;
  const model::CvResult ca = model::CrossValidateLearner(a.rows, knn, learner);
  const model::CvResult cb = model::CrossValidateLearner(b.rows, knn, learner);
  ASSERT_EQ(ca.predictions.size(), cb.predictions.size());
  for (size_t i = 0; i < ca.predictions.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(&ca.predictions[i], &cb.predictions[i], 8))
        << "row " << i;
  }
  EXPECT_EQ(model::FormatCvLine(ca), model::FormatCvLine(cb));
}

TEST_F(JoinLayouts, cluster_a_aggregated_layout_trains_like_wide_aggregate) {
  const auto requests =
      io::ReadInferenceRequests(kData + "/cluster-a/inference_requests.ndjson")
          .records;
  model::LoadedRows wide, aggregated;
  LoadBoth(kData + "/cluster-a/features.parquet",
           kData + "/cluster-a/kepler_labels.parquet", "energy_step_j", &wide,
           &aggregated, &requests);
  // cluster-a's features repeat points (a Deployment and its pods encoded
  // alike): the wide layout counts 815 finite rows for 663 label rows. The
  // repeated values happen to sum exactly, so the means agree to the bit.
  ExpectSameRows(wide, aggregated, {}, true);
  EXPECT_EQ(wide.aggregated_from, 815u);
  EXPECT_EQ(aggregated.aggregated_from, 663u);
  EXPECT_EQ(aggregated.rows.rows(), 8u);
  EXPECT_TRUE(aggregated.pre_aggregated);
  ExpectSamePredictions(wide, aggregated, model::Learner::kKnn);
}

TEST_F(JoinLayouts, cluster_b_aggregated_layout_trains_like_wide_aggregate) {
  // (cluster-b's avg_power_w is NULL throughout: energy only.)
  model::LoadedRows wide, aggregated;
  LoadBoth(kData + "/cluster-b/features.parquet",
           kData + "/cluster-b/kepler_labels.parquet", "energy_step_j", &wide,
           &aggregated);
  ExpectSameRows(wide, aggregated);
  ExpectSamePredictions(wide, aggregated, model::Learner::kKnn);
}

// A cluster built to hit every rule: rows of a workload interleaved with
// others', NaN/NULL/infinite targets (dropped per target, first finite row
// orders), namespaces differing in case and spaces, pods of a ReplicaSet, a
// feature row repeated (same spec and vector), a workload with two specs, and
// label values whose running sum rounds (so the summation order matters).
struct Synthetic {
  Table features, labels;
};

Synthetic MakeSynthetic(size_t workloads, size_t steps, uint32_t seed,
                        bool repeat_points = true) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> watts(0.1, 300.0);
  std::uniform_real_distribution<float> feature(-2.0f, 2.0f);
  Synthetic s;
  Table& f = s.features;
  for (const char* c :
       {"namespace", "workload_kind", "workload_name", "_spec_hash"})
    f.AddColumn(c, ColumnType::kString);
  f.AddColumn("features", ColumnType::kFloatList);
  f.AddColumn("cpu_cores", ColumnType::kDouble);
  f.AddColumn("gpus", ColumnType::kDouble);
  f.AddColumn("image_family", ColumnType::kString);
  const auto add_feature = [&](size_t w, const std::string& spec,
                               const std::vector<float>& v) {
    f.columns()[0].AppendString(w % 3 == 0 ? "Team-A" : "team-b");
    f.columns()[1].AppendString("Deployment");
    f.columns()[2].AppendString("app" + std::to_string(w));
    f.columns()[3].AppendString(spec);
    f.columns()[4].AppendFloatList(std::span<const float>(v));
    f.columns()[5].AppendDouble(0.5 * static_cast<double>(w % 4 + 1));
    f.columns()[6].AppendDouble(0);
    f.columns()[7].AppendString(w % 2 ? "nginx" : "postgres");
  };
  for (size_t w = 0; w < workloads; ++w) {
    std::vector<float> v(6);
    for (float& x : v) x = feature(rng);
    add_feature(w, "spec" + std::to_string(w), v);
    if (repeat_points && w % 5 == 0)
      add_feature(w, "spec" + std::to_string(w), v);  // repeat
    if (w % 7 == 0) {
      for (float& x : v) x = feature(rng);
      add_feature(w, "spec" + std::to_string(w) + "b", v);  // second spec
    }
  }
  Table& l = s.labels;
  l.AddColumn("ts", ColumnType::kDouble);
  for (const char* c : {"namespace", "workload_kind", "workload_name", "pod"})
    l.AddColumn(c, ColumnType::kString);
  l.AddColumn("avg_power_w", ColumnType::kDouble);
  l.AddColumn("energy_step_j", ColumnType::kDouble);
  for (size_t t = 0; t < steps; ++t) {
    for (size_t w = 0; w < workloads + 2; ++w) {              // +2: no features
      const size_t pick = (w * 7 + t * 3) % (workloads + 2);  // interleave
      l.columns()[0].AppendDouble(1764000000.0 + 60.0 * static_cast<double>(t));
      std::string ns = pick % 3 == 0 ? "Team-A" : "team-b";
      if (pick % 4 == 1 && t % 2) ns = " " + ns + " ";  // normalized away
      l.columns()[1].AppendString(ns);
      const bool rs = pick % 2 == 0;
      l.columns()[2].AppendString(rs ? "ReplicaSet" : "Deployment");
      std::string name = "app" + std::to_string(pick);
      if (rs) name += "-5d8f7c9b4a";
      l.columns()[3].AppendString(name);
      l.columns()[4].AppendString(name + "-x2b4d");
      const double v = watts(rng);
      // Some targets are missing: avg_power_w NULL, energy NaN or infinite.
      if ((t + pick) % 11 == 0) {
        l.columns()[5].AppendDouble(std::nullopt);
      } else {
        l.columns()[5].AppendDouble(v);
      }
      double e = v * 60.0 / 3.0;
      if ((t + pick) % 13 == 0) e = std::nan("");
      if ((t * pick) % 17 == 5) e = INFINITY;
      if (t == 0 && pick % 6 == 0) e = std::nan("");  // first row not finite
      l.columns()[6].AppendDouble(e);
    }
  }
  return s;
}

TEST_F(JoinLayouts, synthetic_means_and_default_model_match_wide_to_the_bit) {
  const Synthetic s = MakeSynthetic(40, 150, 7);
  io::WriteParquet(s.features, Path("features.parquet"));
  io::WriteParquet(s.labels, Path("labels.parquet"));
  // Workloads 0, 5, 10, ... have their feature row twice (see MakeSynthetic).
  std::set<std::string> repeated;
  for (int w = 0; w < 40; w += 5) {
    repeated.insert("app" + std::to_string(w));
    repeated.insert("app" + std::to_string(w) + "-5d8f7c9b4a");
  }
  model::LoadedRows wide, aggregated;
  LoadBoth(Path("features.parquet"), Path("labels.parquet"), "energy_step_j",
           &wide, &aggregated);
  ExpectSameRows(wide, aggregated, repeated);
  ASSERT_TRUE(aggregated.rows.has_traits());
  // Without repeated points the rows are the same to the bit, so are the
  // predictions of both learners.
  io::WriteParquet(MakeSynthetic(40, 150, 7, false).features,
                   Path("features.parquet"));
  LoadBoth(Path("features.parquet"), Path("labels.parquet"), "energy_step_j",
           &wide, &aggregated);
  ExpectSameRows(wide, aggregated);
  ExpectSamePredictions(wide, aggregated, model::Learner::kKnn);
  ExpectSamePredictions(wide, aggregated, model::Learner::kDefault);
  // Rows are ordered by the first finite energy_step_j of each group; with
  // --target avg_power_w train --aggregate orders by that column's first
  // finite value, so the same rows may come in another order.
  LoadBoth(Path("features.parquet"), Path("labels.parquet"), "avg_power_w",
           &wide, &aggregated);
  ExpectSameRowSet(wide, aggregated, {});
}

// The statistics beyond the mean: counts, spread, time span.
TEST_F(JoinLayouts, aggregated_rows_carry_counts_spread_and_time_span) {
  const Synthetic s = MakeSynthetic(10, 30, 3);
  io::WriteParquet(s.features, Path("features.parquet"));
  io::WriteParquet(s.labels, Path("labels.parquet"));
  JoinOptions options;
  std::ostringstream log;
  const JoinStats stats =
      JoinFiles(Path("features.parquet"), Path("labels.parquet"),
                Path("agg.parquet"), options, log);
  const Table a = io::ReadParquet(Path("agg.parquet"));
  std::vector<std::string> names;
  for (const Column& c : a.columns()) names.push_back(c.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "namespace", "workload_kind", "workload_name", "canon_kind",
                  "canon_name", "_spec_hash", "features", "cpu_cores", "gpus",
                  "image_family", "label_rows", "ts_first", "ts_last",
                  "energy_step_j", "energy_step_j_n", "energy_step_j_std",
                  "avg_power_w", "avg_power_w_n", "avg_power_w_std"));
  EXPECT_EQ(stats.output_rows, a.rows());
  // Recompute one group by hand from the labels: workload app1 (Deployment,
  // team-b, one spec).
  const Column& name = a.Require("workload_name", ColumnType::kString);
  size_t row = a.rows();
  for (size_t r = 0; r < a.rows(); ++r)
    if (name.strings[r] == "app1") row = r;
  ASSERT_LT(row, a.rows());
  double sum = 0, sum2 = 0, first = INFINITY, last = -INFINITY;
  int64_t n = 0, all = 0;
  const Column& lname = s.labels.Require("workload_name", ColumnType::kString);
  const Column& e = s.labels.Require("energy_step_j", ColumnType::kDouble);
  const Column& ts = s.labels.Require("ts", ColumnType::kDouble);
  for (size_t r = 0; r < s.labels.rows(); ++r) {
    if (lname.strings[r] != "app1") continue;
    ++all;
    first = std::min(first, ts.doubles[r]);
    last = std::max(last, ts.doubles[r]);
    if (!std::isfinite(e.doubles[r])) continue;
    sum += e.doubles[r];
    sum2 += e.doubles[r] * e.doubles[r];
    ++n;
  }
  EXPECT_EQ(a.Require("label_rows", ColumnType::kInt64).ints[row], all);
  EXPECT_EQ(a.Require("energy_step_j_n", ColumnType::kInt64).ints[row], n);
  EXPECT_EQ(a.Require("energy_step_j", ColumnType::kDouble).doubles[row],
            sum / static_cast<double>(n));  // same order, same rounding
  const double mean = sum / static_cast<double>(n);
  // Population std; DuckDB's streaming update differs from this two-moment
  // formula by rounding only (values ~1e3, n ~30): 1e-9 relative.
  EXPECT_NEAR(a.Require("energy_step_j_std", ColumnType::kDouble).doubles[row],
              std::sqrt(sum2 / static_cast<double>(n) - mean * mean),
              1e-9 * mean);
  EXPECT_EQ(a.Require("ts_first", ColumnType::kDouble).doubles[row], first);
  EXPECT_EQ(a.Require("ts_last", ColumnType::kDouble).doubles[row], last);
}

// Hive folder (date=YYYY-MM-DD/), glob and a single file give the same rows;
// a tiny memory limit with an explicit spill folder changes nothing.
TEST_F(JoinLayouts, hive_folder_glob_and_spilling_give_the_same_table) {
  const Synthetic s = MakeSynthetic(30, 60, 11);
  io::WriteParquet(s.features, Path("features.parquet"));
  io::WriteParquet(s.labels, Path("labels.parquet"));
  // Split the labels by day, in order: the first 20 steps, then the rest.
  const size_t cut = 20 * 32;
  for (const auto& [day, from, to] :
       {std::tuple<std::string, size_t, size_t>{"2026-12-01", 0, cut},
        {"2026-12-02", cut, s.labels.rows()}}) {
    Table part;
    for (const Column& c : s.labels.columns()) {
      Column& out = part.AddColumn(c.name, c.type);
      for (size_t r = from; r < to; ++r) {
        if (c.type == ColumnType::kString) {
          out.AppendString(std::string_view(c.strings[r]));
        } else if (c.is_null(r)) {
          out.AppendDouble(std::nullopt);
        } else {
          out.AppendDouble(c.doubles[r]);
        }
      }
    }
    fs::create_directories(dir_ / "labels" / ("date=" + day));
    io::WriteParquet(part, Path("labels/date=" + day + "/part-0.parquet"));
  }
  JoinOptions options;
  std::ostringstream log;
  JoinFiles(Path("features.parquet"), Path("labels.parquet"),
            Path("one.parquet"), options, log);
  JoinFiles(Path("features.parquet"), Path("labels"), Path("hive.parquet"),
            options, log);
  JoinFiles(Path("features.parquet"), Path("labels/date=*/*.parquet"),
            Path("glob.parquet"), options, log);
  options.memory_limit = "32MB";
  options.spill_dir = Path("spill");
  JoinFiles(Path("features.parquet"), Path("labels"), Path("small.parquet"),
            options, log);
  const model::LoadedRows one = model::LoadTrainingRows(
      io::ReadParquet(Path("one.parquet")), "energy_step_j", false);
  for (const char* other : {"hive.parquet", "glob.parquet", "small.parquet"}) {
    SCOPED_TRACE(other);
    ExpectSameRows(one, model::LoadTrainingRows(io::ReadParquet(Path(other)),
                                                "energy_step_j", false));
  }
  // The default spill folder is hidden beside the output and gone afterwards.
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_FALSE(entry.path().filename().string().ends_with(".spill"))
        << entry.path();
  // The wide layout reads the folder too (its date column is carried).
  options.layout = Layout::kWide;
  const JoinStats wide = JoinFiles(Path("features.parquet"), Path("labels"),
                                   Path("wide.parquet"), options, log);
  const Table w = io::ReadParquet(Path("wide.parquet"));
  EXPECT_NE(w.Find("date"), nullptr);
  EXPECT_EQ(wide.output_rows, w.rows());
}

TEST_F(JoinLayouts, wide_layout_is_todays_join_byte_for_byte) {
  JoinOptions options;
  options.layout = Layout::kWide;
  std::ostringstream log;
  JoinFiles(kData + "/cluster-a/features.parquet",
            kData + "/cluster-a/kepler_labels.parquet", Path("new.parquet"),
            options, log);
  JoinFeaturesLabelsFiles(kData + "/cluster-a/features.parquet",
                          kData + "/cluster-a/kepler_labels.parquet",
                          Path("old.parquet"), log);
  std::ifstream a(Path("new.parquet"), std::ios::binary);
  std::ifstream b(Path("old.parquet"), std::ios::binary);
  const std::string bytes_a((std::istreambuf_iterator<char>(a)), {});
  const std::string bytes_b((std::istreambuf_iterator<char>(b)), {});
  EXPECT_FALSE(bytes_a.empty());
  EXPECT_TRUE(bytes_a == bytes_b);
}

TEST_F(JoinLayouts, aggregated_nothing_joins_prints_diagnostics_and_no_file) {
  const Synthetic s = MakeSynthetic(5, 3, 1);
  Table other = s.features;
  for (auto& v : other.columns()[0].strings) v = "elsewhere";
  io::WriteParquet(other, Path("features.parquet"));
  io::WriteParquet(s.labels, Path("labels.parquet"));
  std::ostringstream log;
  const std::string error = podpower::testing::ErrorOf([&] {
    JoinFiles(Path("features.parquet"), Path("labels.parquet"),
              Path("out.parquet"), JoinOptions{}, log);
  });
  EXPECT_THAT(error, HasSubstr("no rows joined on (namespace, canonical"));
  EXPECT_THAT(log.str(), HasSubstr("no namespace is on both sides"));
  EXPECT_FALSE(fs::exists(Path("out.parquet")));
}

TEST_F(JoinLayouts, aggregated_labels_without_a_target_or_key_are_errors) {
  const Synthetic s = MakeSynthetic(5, 3, 1);
  io::WriteParquet(s.features, Path("features.parquet"));
  Table no_target;
  for (const char* c : {"namespace", "workload_kind", "workload_name"})
    no_target.AddColumn(c, ColumnType::kString).AppendString("x");
  io::WriteParquet(no_target, Path("no_target.parquet"));
  std::ostringstream log;
  EXPECT_THAT(podpower::testing::ErrorOf([&] {
                JoinFiles(Path("features.parquet"), Path("no_target.parquet"),
                          Path("out.parquet"), JoinOptions{}, log);
              }),
              HasSubstr("no_target.parquet: no label column (energy_step_j"));
  Table no_key;
  no_key.AddColumn("namespace", ColumnType::kString).AppendString("x");
  io::WriteParquet(no_key, Path("no_key.parquet"));
  EXPECT_THAT(podpower::testing::ErrorOf([&] {
                JoinFiles(Path("features.parquet"), Path("no_key.parquet"),
                          Path("out.parquet"), JoinOptions{}, log);
              }),
              HasSubstr("no_key.parquet: column 'workload_kind' missing "
                        "(expected VARCHAR)"));
  EXPECT_THAT(podpower::testing::ErrorOf([&] {
                JoinFiles(Path("features.parquet"), Path("nothing/*.parquet"),
                          Path("out.parquet"), JoinOptions{}, log);
              }),
              HasSubstr("no file matches the glob"));
  EXPECT_FALSE(fs::exists(Path("out.parquet")));
}

}  // namespace
}  // namespace podpower::join
