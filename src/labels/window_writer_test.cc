#include "labels/window_writer.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/parquet.h"
#include "io/testing.h"

namespace podpower::labels {
namespace {

class WindowWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("window-writer"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Row {
    double ts;
    uint32_t pod;
    std::optional<double> power;
    std::optional<double> energy;
  };

  // Writes `rows` for `pods` and checks the file reads back as exactly those
  // rows, in order, with the pods' strings.
  // Returns which string columns were ENUMs.
  std::array<bool, 5> RoundTrip(const std::vector<WindowPod>& pods,
                                const std::vector<Row>& rows,
                                WindowWriterOptions options = {}) {
    const std::string out = dir_ + "/labels.parquet";
    std::array<bool, 5> enums{};
    {
      WindowWriter writer(out, pods, options);
      enums = writer.enum_columns();
      for (const Row& r : rows) writer.Add(r.ts, r.pod, r.power, r.energy);
      EXPECT_EQ(writer.rows(), static_cast<int64_t>(rows.size()));
      writer.Commit();
    }
    Check(out, pods, rows);
    return enums;
  }

  // `out` reads back as exactly `rows`, in order, with the pods' strings.
  void Check(const std::string& out, const std::vector<WindowPod>& pods,
             const std::vector<Row>& rows) {
    EXPECT_EQ(testing::FileNames(dir_),
              std::vector<std::string>{"labels.parquet"})
        << "temporary folder left behind";
    io::Table t = io::ReadParquet(out);
    std::vector<std::string> names;
    for (const io::Column& c : t.columns()) names.push_back(c.name);
    ASSERT_EQ(names,
              (std::vector<std::string>{"ts", "namespace", "workload_kind",
                                        "workload_name", "pod", "avg_power_w",
                                        "energy_step_j", "owner_source"}));
    EXPECT_EQ(t.columns()[1].type, io::ColumnType::kString);
    EXPECT_EQ(t.columns()[4].type, io::ColumnType::kString);
    ASSERT_EQ(t.rows(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      const WindowPod& p = pods[r.pod];
      ASSERT_EQ(t.columns()[0].doubles[i], r.ts) << "row " << i;
      ASSERT_EQ(t.columns()[1].strings[i], p.namespace_) << "row " << i;
      ASSERT_EQ(t.columns()[2].strings[i], p.workload_kind) << "row " << i;
      ASSERT_EQ(t.columns()[3].strings[i], p.workload_name) << "row " << i;
      ASSERT_EQ(t.columns()[4].strings[i], p.pod) << "row " << i;
      ASSERT_EQ(t.columns()[7].strings[i], p.owner_source) << "row " << i;
      ASSERT_EQ(!t.columns()[5].is_null(i), r.power.has_value()) << "row " << i;
      if (r.power) {
        ASSERT_EQ(t.columns()[5].doubles[i], *r.power) << "row " << i;
      }
      ASSERT_EQ(!t.columns()[6].is_null(i), r.energy.has_value())
          << "row " << i;
      if (r.energy) {
        ASSERT_EQ(t.columns()[6].doubles[i], *r.energy) << "row " << i;
      }
    }
  }

  std::string dir_;
};

TEST_F(WindowWriterTest, rows_read_back_in_the_order_added_with_every_value) {
  std::vector<WindowPod> pods = {
      {"shop", "Deployment", "front", "front-7d4b9c8f6-abcde", "prom"},
      {"it's", "Pod", "", "naïve-pod-\"quoted\"", "none"},
      {"shop", "Job", "batch", "batch-28391234-xyz12", "names"},
      {"ns", "Pod", std::string("nul\0inside", 10), "p", "none"},
  };
  std::vector<Row> rows;
  // Not sorted by anything: the writer must keep the order it was given.
  for (int k = 0; k < 5000; ++k) {
    const auto pod = static_cast<uint32_t>((k * 7) % 4);
    std::optional<double> energy =
        k % 11 == 0 ? std::nullopt : std::optional<double>(0.1 * k + 1e-9);
    std::optional<double> power =
        energy ? std::optional<double>(*energy / 15.0) : std::nullopt;
    rows.push_back({1761840000.0 + 15.0 * (k % 97), pod, power, energy});
  }
  // A few pods: ENUMs, except the column holding a NUL (ENUM members are C
  // strings), which is VARCHAR.
  EXPECT_EQ(RoundTrip(pods, rows),
            (std::array<bool, 5>{true, true, false, true, true}));
}

TEST_F(WindowWriterTest, null_doubles_read_back_as_null) {
  std::vector<WindowPod> pods = {{"ns", "Pod", "a", "a", "none"}};
  RoundTrip(pods, {{15, 0, std::nullopt, std::nullopt},
                   {30, 0, 1.5, 22.5},
                   {45, 0, std::nullopt, 0.0},
                   {60, 0, 0.0, std::nullopt}});
}

TEST_F(WindowWriterTest, many_pods_switch_large_dictionaries_to_varchar) {
  // 70,000 pods: the pod and workload names would put ~1 MB of dictionary in
  // every row group as ENUMs, so they are VARCHAR; namespaces (300, > 255:
  // two-byte codes), kinds and sources stay ENUMs.
  std::vector<WindowPod> pods;
  for (int i = 0; i < 70000; ++i) {
    pods.push_back({"ns" + std::to_string(i % 300), "Deployment",
                    "app" + std::to_string(i / 2), "pod-" + std::to_string(i),
                    "prom"});
  }
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 70000; ++i) rows.push_back({1.0 * i, i, 2.5, 37.5});
  EXPECT_EQ(RoundTrip(pods, rows),
            (std::array<bool, 5>{true, true, false, false, true}));
  // Forced ENUMs: four-byte codes (> 65,535 values) read back the same.
  WindowWriterOptions all_enums;
  all_enums.max_enum_dictionary_bytes = size_t{1} << 30;
  EXPECT_EQ(RoundTrip(pods, rows, all_enums),
            (std::array<bool, 5>{true, true, true, true, true}));
}

TEST_F(WindowWriterTest, many_pods_all_active_at_the_start_stay_enums) {
  // 20,000 long-lived pods: every row group would hold every name as VARCHAR
  // too, so the names stay ENUMs once the writer knows they are all active.
  std::vector<WindowPod> pods;
  std::vector<uint32_t> active;
  for (uint32_t i = 0; i < 20000; ++i) {
    // (insert, not "ns" + ...: GCC 12's -Wrestrict misfires on the latter
    // here.)
    pods.push_back({std::to_string(i % 30).insert(0, "ns"), "Deployment",
                    std::to_string(i / 2).insert(0, "storefront-api-"),
                    std::to_string(i).insert(0, "pod-"), "prom"});
    active.push_back(i);
  }
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 40000; ++i)
    rows.push_back({1.0 * (i / 20000), i % 20000, 2.5, 37.5});
  EXPECT_EQ(RoundTrip(pods, rows),
            (std::array<bool, 5>{true, true, false, false, true}));
  WindowWriterOptions known;
  known.active_pods = active;
  EXPECT_EQ(RoundTrip(pods, rows, known),
            (std::array<bool, 5>{true, true, true, true, true}));
  // Only a tenth active at the start (the rest come and go later): VARCHAR.
  known.active_pods.resize(2000);
  EXPECT_EQ(RoundTrip(pods, rows, known),
            (std::array<bool, 5>{true, true, false, false, true}));
}

TEST_F(WindowWriterTest, short_lived_pods_over_many_row_groups_read_back) {
  // Each pod in a few row groups only; VARCHAR and ENUM give the same values.
  std::vector<WindowPod> pods;
  for (int i = 0; i < 3000; ++i) {
    pods.push_back({"ns", "Job", "job-" + std::to_string(i),
                    "job-" + std::to_string(i) + "-x", "names"});
  }
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 3000; ++i) {
    for (int k = 0; k < 100; ++k) rows.push_back({k * 60.0, i, 1.0, 60.0});
  }
  WindowWriterOptions varchar;
  varchar.max_enum_dictionary_bytes = 0;
  EXPECT_EQ(RoundTrip(pods, rows, varchar), (std::array<bool, 5>{}));
  RoundTrip(pods, rows);
}

TEST_F(WindowWriterTest, no_rows_writes_the_columns_only) { RoundTrip({}, {}); }

TEST_F(WindowWriterTest, pods_without_rows_write_no_rows) {
  RoundTrip({{"ns", "Pod", "a", "a", "none"}}, {});
}

TEST_F(WindowWriterTest, unknown_pod_number_is_refused_and_nothing_written) {
  // A pod the constructor was not given (labels.cc's late pods never get
  // here): the row is refused, the writer goes on and the file holds the
  // other rows only.
  const std::string out = dir_ + "/labels.parquet";
  std::vector<WindowPod> pods = {{"ns", "Pod", "a", "a", "none"},
                                 {"ns", "Pod", "b", "b", "none"}};
  std::vector<Row> rows;
  {
    WindowWriter writer(out, pods);
    for (int k = 0; k < 3000; ++k) {
      rows.push_back({15.0 * k, static_cast<uint32_t>(k % 2), 1.0, 15.0});
      writer.Add(rows.back().ts, rows.back().pod, 1.0, 15.0);
      if (k % 1000 == 0) {
        const std::string message =
            testing::ErrorOf([&] { writer.Add(1, 2, 1, 1); });
        EXPECT_NE(message.find("cannot write Parquet: row for unknown pod "
                               "number 2"),
                  std::string::npos)
            << message;
      }
    }
    EXPECT_EQ(writer.rows(), 3000);
    writer.Commit();
  }
  Check(out, pods, rows);
}

TEST_F(WindowWriterTest, without_commit_no_output_and_no_temporary_file) {
  const std::string out = dir_ + "/labels.parquet";
  {
    WindowWriter writer(out, {{"ns", "Pod", "p", "p", "none"}});
    // More than the queue holds, so the COPY is busy when the writer goes.
    for (int k = 0; k < 100000; ++k) writer.Add(k, 0, 1, 1);
  }  // an exception elsewhere unwinds the writer like this
  EXPECT_TRUE(testing::FileNames(dir_).empty());
}

// labels' day partitions: every day finished first, renamed at the end.
TEST_F(WindowWriterTest, finish_completes_the_file_but_only_commit_shows_it) {
  const std::string out = dir_ + "/labels.parquet";
  const std::vector<WindowPod> pods = {{"ns", "Pod", "p", "p", "none"}};
  {
    WindowWriter writer(out, pods);
    for (int k = 0; k < 1000; ++k) writer.Add(k, 0, 1, 1);
    writer.Finish();
    EXPECT_EQ(testing::FileNames(dir_).size(), 1u) << "the temporary file";
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_NE(testing::ErrorOf([&] { writer.Add(1000, 0, 1, 1); }),
              "<no error>");
  }  // a later day failed: the finished day is not shown either
  EXPECT_TRUE(testing::FileNames(dir_).empty());

  std::vector<Row> rows;
  {
    WindowWriter writer(out, pods);
    for (int k = 0; k < 1000; ++k) {
      writer.Add(k, 0, 2.0 * k, 1.0 * k);
      rows.push_back({static_cast<double>(k), 0, 2.0 * k, 1.0 * k});
    }
    writer.Finish();
    writer.Commit();
    EXPECT_NE(testing::ErrorOf([&] { writer.Commit(); }), "<no error>");
  }
  Check(out, pods, rows);
}

TEST_F(WindowWriterTest, duckdb_failing_mid_copy_is_thrown_and_leaves_nothing) {
  // A memory limit far below one row group: the COPY fails once rows arrive.
  const std::string out = dir_ + "/labels.parquet";
  WindowWriterOptions tiny;
  tiny.memory_limit = "1MB";
  std::vector<WindowPod> pods;
  for (int i = 0; i < 100; ++i) {
    pods.push_back({"ns", "Pod", "p" + std::to_string(i),
                    "a-rather-long-pod-name-" + std::to_string(i), "none"});
  }
  const std::string message = testing::ErrorOf([&] {
    WindowWriter writer(out, pods, tiny);
    for (int k = 0; k < 2'000'000; ++k) {
      writer.Add(k, static_cast<uint32_t>(k % 100), 1.0 * k, 2.0 * k);
    }
    writer.Commit();
  });
  EXPECT_TRUE(message.starts_with(out)) << message;
  EXPECT_EQ(message.find(": cannot write Parquet: "), out.size()) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_TRUE(testing::FileNames(dir_).empty());
}

TEST_F(WindowWriterTest, missing_folder_is_one_error_line) {
  const std::string message = testing::ErrorOf(
      [&] { WindowWriter writer(dir_ + "/no/such/labels.parquet", {}); });
  EXPECT_NE(message.find("cannot create output"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace podpower::labels
