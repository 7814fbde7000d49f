#include "labels/window_writer.h"

#include <gtest/gtest.h>

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
  void RoundTrip(const std::vector<WindowPod>& pods,
                 const std::vector<Row>& rows) {
    const std::string out = dir_ + "/labels.parquet";
    {
      WindowWriter writer(out);
      for (size_t i = 0; i < pods.size(); ++i) {
        ASSERT_EQ(writer.AddPod(pods[i]), i);
      }
      for (const Row& r : rows) writer.Add(r.ts, r.pod, r.power, r.energy);
      EXPECT_EQ(writer.rows(), static_cast<int64_t>(rows.size()));
      writer.Commit();
    }
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
  RoundTrip(pods, rows);
}

TEST_F(WindowWriterTest, many_pods_need_wider_codes_and_still_read_back) {
  // > 255 and > 65,535 distinct values: every ENUM code width.
  std::vector<WindowPod> pods;
  for (int i = 0; i < 70000; ++i) {
    pods.push_back({"ns" + std::to_string(i % 300), "Deployment",
                    "app" + std::to_string(i / 2), "pod-" + std::to_string(i),
                    "prom"});
  }
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 70000; ++i) rows.push_back({1.0 * i, i, 2.5, 37.5});
  RoundTrip(pods, rows);
}

TEST_F(WindowWriterTest, short_lived_pods_over_many_row_groups_read_back) {
  // Each pod only in one of several row groups: the strings are written as
  // plain VARCHAR; the values are the same either way.
  std::vector<WindowPod> pods;
  for (int i = 0; i < 3000; ++i) {
    pods.push_back({"ns", "Job", "job-" + std::to_string(i),
                    "job-" + std::to_string(i) + "-x", "names"});
  }
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 3000; ++i) {
    for (int k = 0; k < 100; ++k) rows.push_back({k * 60.0, i, 1.0, 60.0});
  }
  RoundTrip(pods, rows);
}

TEST_F(WindowWriterTest, no_rows_writes_the_columns_only) { RoundTrip({}, {}); }

TEST_F(WindowWriterTest, without_commit_no_output_and_no_temporary_folder) {
  const std::string out = dir_ + "/labels.parquet";
  {
    WindowWriter writer(out);
    writer.Add(1, writer.AddPod({"ns", "Pod", "p", "p", "none"}), 1, 1);
    // Unknown pod numbers are refused.
    EXPECT_NE(testing::ErrorOf([&] {
                writer.Add(1, 5, 1, 1);
              }).find("cannot write Parquet"),
              std::string::npos);
  }  // an exception elsewhere unwinds the writer like this
  EXPECT_TRUE(testing::FileNames(dir_).empty());
}

TEST_F(WindowWriterTest, missing_folder_is_one_error_line) {
  const std::string message = testing::ErrorOf(
      [&] { WindowWriter writer(dir_ + "/no/such/labels.parquet"); });
  EXPECT_NE(message.find("cannot create output"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace podpower::labels
