#include "join/join.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "io/error.h"
#include "io/parquet.h"
#include "io/testing.h"
#include "join/test_oracle.h"

namespace podpower::join {
namespace {

namespace fs = std::filesystem;
using io::Column;
using io::ColumnType;
using io::Table;
using ::testing::HasSubstr;

const std::string kData = podpower::testing::SourcePath("examples/data");

using podpower::testing::ErrorOf;

// Every column, every row, bit for bit (doubles and floats by memcmp).
void ExpectSameTable(const Table& got, const Table& want) {
  ASSERT_EQ(got.columns().size(), want.columns().size());
  ASSERT_EQ(got.rows(), want.rows());
  for (size_t c = 0; c < want.columns().size(); ++c) {
    const Column& g = got.columns()[c];
    const Column& w = want.columns()[c];
    ASSERT_EQ(g.name, w.name) << "column " << c;
    ASSERT_EQ(g.type, w.type) << w.name;
    for (size_t r = 0; r < want.rows(); ++r) {
      ASSERT_EQ(g.is_null(r), w.is_null(r)) << w.name << " row " << r;
      if (w.is_null(r)) continue;
      switch (w.type) {
        case ColumnType::kString:
          ASSERT_EQ(g.strings[r], w.strings[r]) << w.name << " row " << r;
          break;
        case ColumnType::kInt64:
          ASSERT_EQ(g.ints[r], w.ints[r]) << w.name << " row " << r;
          break;
        case ColumnType::kDouble:
          ASSERT_EQ(0, std::memcmp(&g.doubles[r], &w.doubles[r], 8))
              << w.name << " row " << r;
          break;
        case ColumnType::kFloatList: {
          auto a = g.list(r);
          auto b = w.list(r);
          ASSERT_EQ(a.size(), b.size()) << w.name << " row " << r;
          ASSERT_TRUE(a.empty() ||
                      std::memcmp(a.data(), b.data(), a.size() * 4) == 0)
              << w.name << " row " << r;
          break;
        }
      }
    }
  }
}

class JoinFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = podpower::testing::MakeTempDir("podpower_join");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(JoinFiles, cluster_a_reproduces_the_originals_train_rows_exactly) {
  const std::string out = (dir_ / "train_rows.parquet").string();
  std::ostringstream diagnostics;
  const JoinStats stats = JoinFeaturesLabelsFiles(
      kData + "/cluster-a/features.parquet",
      kData + "/cluster-a/kepler_labels.parquet", out, diagnostics);
  EXPECT_EQ(stats.joined_rows, 826u);
  EXPECT_EQ(diagnostics.str(), "");
  const Table got = io::ReadParquet(out);
  const Table want = io::ReadParquet(kData + "/cluster-a/train_rows.parquet");
  ExpectSameTable(got, want);
}

TEST(Join, cluster_b_labels_join_cluster_b_features) {
  const Table features = io::ReadParquet(kData + "/cluster-b/features.parquet");
  const Table labels =
      io::ReadParquet(kData + "/cluster-b/kepler_labels.parquet");
  JoinStats stats;
  const Table out = JoinFeaturesLabels(features, labels, std::cerr, &stats);
  std::map<std::string, size_t> rows_by_workload;
  const Column& ns = out.Require("namespace", ColumnType::kString);
  const Column& name = out.Require("canon_name", ColumnType::kString);
  for (size_t r = 0; r < out.rows(); ++r) {
    ++rows_by_workload[ns.strings[r] + "/" + name.strings[r]];
  }
  // Label rows per workload x feature rows with that canonical name, counted
  // by hand from the two files (data README): e.g. coredns has 194 label rows
  // and 3 feature rows (the Deployment and two of its pods).
  const std::map<std::string, size_t> want = {
      {"energy/collect-snapshot", 89 * 3},  // the Job + 2 of its pods
      {"ingress-nginx/ingress-nginx-controller", 97 * 2},
      {"kube-system/coredns", 194 * 3},
      {"kube-system/kindnet", 388 * 4},     // DaemonSet pods (see report)
      {"kube-system/kube-proxy", 388 * 4},  // DaemonSet pods
      {"local-path-storage/local-path-provisioner-988d74bc", 97 * 1},
  };
  EXPECT_EQ(rows_by_workload, want);
  EXPECT_EQ(stats.joined_rows, 4244u);
  EXPECT_EQ(out.rows(), 4244u);
  std::cout << "cluster-b: " << stats.joined_rows << " rows joined from "
            << stats.label_rows << " label rows and " << stats.feature_rows
            << " feature rows; " << stats.matched_keys << " of "
            << stats.label_keys << " labelled workloads matched\n";
}

// The same join written in SQL over the original files, with the rules as
// RE2 regexes (tests/oracle/join_canonical.sql): rows per workload must agree.
TEST(Join, cluster_b_rows_per_workload_agree_with_sql_oracle) {
  const std::string f = kData + "/cluster-b/features.parquet";
  const std::string l = kData + "/cluster-b/kepler_labels.parquet";
  const auto rows = OracleRows(
      "SELECT lower(trim(l.namespace)) || '/' || "
      "canon_name(l.workload_kind, l.workload_name, true), count(*) "
      "FROM '" +
      l + "' l JOIN '" + f +
      "' f "
      "ON lower(trim(l.namespace)) = lower(trim(f.namespace)) AND "
      "canon_name(l.workload_kind, l.workload_name, true) = "
      "canon_name(f.workload_kind, f.workload_name, true) GROUP BY 1");
  std::map<std::string, size_t> want;
  for (const auto& row : rows) want[row[0]] = std::stoul(row[1]);
  const Table out = JoinFeaturesLabels(io::ReadParquet(f), io::ReadParquet(l));
  std::map<std::string, size_t> got;
  const Column& ns = out.Require("namespace", ColumnType::kString);
  const Column& name = out.Require("canon_name", ColumnType::kString);
  for (size_t r = 0; r < out.rows(); ++r) {
    ++got[ns.strings[r] + "/" + name.strings[r]];
  }
  EXPECT_EQ(got, want);
}

// A small in-memory pair of tables; columns first, then rows.
Table Labels(const std::vector<std::array<const char*, 4>>& rows) {
  Table t;
  t.source = "labels.parquet";
  t.AddColumn("ts", ColumnType::kDouble);
  t.AddColumn("namespace", ColumnType::kString);
  t.AddColumn("workload_kind", ColumnType::kString);
  t.AddColumn("workload_name", ColumnType::kString);
  t.AddColumn("step", ColumnType::kInt64);
  int64_t step = 0;
  for (const auto& [ts, ns, kind, name] : rows) {
    t.columns()[0].AppendDouble(std::stod(ts));
    t.columns()[1].AppendString(ns ? std::optional<std::string_view>(ns)
                                   : std::nullopt);
    t.columns()[2].AppendString(kind);
    t.columns()[3].AppendString(name ? std::optional<std::string_view>(name)
                                     : std::nullopt);
    t.columns()[4].AppendInt64(step++);
  }
  return t;
}

Table Features(const std::vector<std::array<const char*, 4>>& rows) {
  Table t;
  t.source = "features.parquet";
  t.AddColumn("namespace", ColumnType::kString);
  t.AddColumn("workload_kind", ColumnType::kString);
  t.AddColumn("workload_name", ColumnType::kString);
  t.AddColumn("_spec_hash", ColumnType::kString);
  t.AddColumn("features", ColumnType::kFloatList);
  float v = 0;
  for (const auto& [ns, kind, name, hash] : rows) {
    t.columns()[0].AppendString(ns);
    t.columns()[1].AppendString(kind);
    t.columns()[2].AppendString(name);
    t.columns()[3].AppendString(hash);
    const std::vector<float> vec = {v, v + 0.5f};
    v += 1;
    t.columns()[4].AppendFloatList(vec);
  }
  return t;
}

std::vector<std::string> Column_(const Table& t, const char* name) {
  const Column& c = t.Require(name, ColumnType::kString);
  return c.strings;
}

TEST(Join, rows_follow_label_order_repeating_each_per_matching_feature_row) {
  const Table labels = Labels({{"1", "ns", "ReplicaSet", "a-0123456789"},
                               {"2", "ns", "Pod", "b-bcdfg"},
                               {"3", "ns", "Pod", "a-0123456789-zzzzz"},
                               {"4", "ns", "Pod", "unmatched"}});
  const Table features = Features({{"ns", "Deployment", "a", "ha1"},
                                   {"ns", "Job", "b", "hb"},
                                   {"ns", "Deployment", "a", "ha2"}});
  std::ostringstream diagnostics;
  const Table out = JoinFeaturesLabels(features, labels, diagnostics);
  EXPECT_EQ(Column_(out, "_spec_hash"),
            (std::vector<std::string>{"ha1", "ha2", "hb", "ha1", "ha2"}));
  EXPECT_EQ(out.Require("step", ColumnType::kInt64).ints,
            (std::vector<int64_t>{0, 0, 1, 2, 2}));
  EXPECT_EQ(Column_(out, "canon_kind"),
            (std::vector<std::string>{"Deployment", "Deployment", "Job",
                                      "Deployment", "Deployment"}));
  const Column& f = out.Require("features", ColumnType::kFloatList);
  EXPECT_EQ(f.list(2)[0], 1.0f);  // hb is the second feature row
  std::vector<std::string> names;
  for (const Column& c : out.columns()) names.push_back(c.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"ts", "namespace", "workload_kind",
                                      "workload_name", "step", "canon_kind",
                                      "canon_name", "_spec_hash", "features"}));
}

TEST(Join,
     namespace_matches_case_and_space_insensitively_and_is_written_lower) {
  const Table labels =
      Labels({{"1", " KubeIntellect ", "ReplicaSet", " rag-api-8559874fdb "}});
  const Table features =
      Features({{"kubeintellect", "Deployment", "rag-api", "h"}});
  const Table out = JoinFeaturesLabels(features, labels);
  ASSERT_EQ(out.rows(), 1u);
  EXPECT_EQ(Column_(out, "namespace")[0], "kubeintellect");
  EXPECT_EQ(Column_(out, "workload_name")[0], "rag-api-8559874fdb");
}

TEST(Join, kind_is_ignored_like_the_original) {
  const Table labels = Labels({{"1", "ns", "DaemonSet", "agent"}});
  const Table features = Features({{"ns", "Deployment", "agent", "h"}});
  EXPECT_EQ(JoinFeaturesLabels(features, labels).rows(), 1u);
}

TEST(Join, null_namespace_or_name_never_joins) {
  const Table labels = Labels({{"1", nullptr, "Deployment", "a"},
                               {"2", "ns", "Deployment", nullptr},
                               {"3", "ns", "Deployment", "a"}});
  const Table features = Features({{"ns", "Deployment", "a", "h"}});
  const Table out = JoinFeaturesLabels(features, labels);
  EXPECT_EQ(out.Require("ts", ColumnType::kDouble).doubles,
            (std::vector<double>{3}));
}

TEST_F(JoinFiles, nothing_joins_prints_diagnostics_fails_and_writes_nothing) {
  const std::string features = (dir_ / "f.parquet").string();
  const std::string labels = (dir_ / "l.parquet").string();
  const std::string out = (dir_ / "out.parquet").string();
  io::WriteParquet(Features({{"prod", "Deployment", "web", "h1"},
                             {"prod", "Deployment", "db", "h2"}}),
                   features);
  io::WriteParquet(Labels({{"1", "staging", "ReplicaSet", "web-0123456789"},
                           {"2", "staging", "Pod", "worker-bcdfg"}}),
                   labels);
  std::ostringstream diagnostics;
  const std::string msg = ErrorOf(
      [&] { JoinFeaturesLabelsFiles(features, labels, out, diagnostics); });
  EXPECT_THAT(msg, HasSubstr("no rows joined"));
  EXPECT_THAT(msg, HasSubstr(features));
  EXPECT_THAT(msg, HasSubstr(labels));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), {}), 2);
  const std::string d = diagnostics.str();
  EXPECT_THAT(d, HasSubstr("labels:   2 rows, 2 distinct"));
  EXPECT_THAT(d, HasSubstr("features: 2 rows, 2 distinct"));
  EXPECT_THAT(d, HasSubstr("in both:  0"));
  EXPECT_THAT(d, HasSubstr("staging/ReplicaSet/web-0123456789 -> "
                           "Deployment/web"));
  EXPECT_THAT(d, HasSubstr("staging/Pod/worker-bcdfg -> Job/worker"));
  EXPECT_THAT(d, HasSubstr("prod/Deployment/db"));
  EXPECT_THAT(d, HasSubstr("no namespace is on both sides"));
}

TEST(Join, same_namespace_without_matching_names_hints_at_canonical_names) {
  const Table labels = Labels({{"1", "ns", "ReplicaSet", "web-74b95799"}});
  const Table features = Features({{"ns", "Deployment", "web", "h"}});
  std::ostringstream diagnostics;
  EXPECT_THROW(JoinFeaturesLabels(features, labels, diagnostics), Error);
  EXPECT_THAT(diagnostics.str(),
              HasSubstr("namespaces match but names do not"));
}

TEST(Join, missing_feature_vector_column_names_file_and_column) {
  Table features = Features({{"ns", "Deployment", "a", "h"}});
  features.columns().pop_back();
  const Table labels = Labels({{"1", "ns", "Deployment", "a"}});
  EXPECT_EQ(ErrorOf([&] { JoinFeaturesLabels(features, labels); }),
            "features.parquet: column 'features' missing (expected FLOAT[])");
}

TEST(Join, missing_label_key_column_names_file_and_column) {
  Table labels = Labels({{"1", "ns", "Deployment", "a"}});
  labels.columns()[3].name = "name";
  const Table features = Features({{"ns", "Deployment", "a", "h"}});
  EXPECT_EQ(
      ErrorOf([&] { JoinFeaturesLabels(features, labels); }),
      "labels.parquet: column 'workload_name' missing (expected VARCHAR)");
}

TEST(Join, wrong_typed_key_column_is_an_error) {
  const Table labels =
      io::ReadParquet(kData + "/cluster-a/kepler_labels.parquet");
  Table features = io::ReadParquet(kData + "/cluster-a/features.parquet");
  features.columns()[3].name = "x";           // _spec_hash
  features.columns()[4].name = "_spec_hash";  // vec_len, BIGINT
  EXPECT_THAT(ErrorOf([&] { JoinFeaturesLabels(features, labels); }),
              HasSubstr("features.parquet: column '_spec_hash' is BIGINT, "
                        "expected VARCHAR"));
}

TEST_F(JoinFiles, missing_input_file_is_an_error_and_writes_nothing) {
  const std::string out = (dir_ / "out.parquet").string();
  EXPECT_THAT(ErrorOf([&] {
                JoinFeaturesLabelsFiles(
                    (dir_ / "nope.parquet").string(),
                    kData + "/cluster-a/kepler_labels.parquet", out);
              }),
              HasSubstr("nope.parquet: cannot read Parquet"));
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace podpower::join
