// `podpower labels --out DIR/`: one Parquet file per UTC day,
// DIR/date=YYYY-MM-DD/labels.parquet, against a real Prometheus holding
// cluster-a's original labels (test_original_metrics.h) shifted in time so the
// window straddles a UTC midnight. The partitions are compared with the
// single-file output by a real DuckDB (hive_partitioning), and joined with the
// cluster's features by the join stage.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/parquet.h"
#include "io/temp_dir.h"
#include "join/join.h"
#include "labels/labels.h"
#include "labels/test_original_metrics.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

namespace fs = std::filesystem;

const std::string kData =
    std::string(PODPOWER_SOURCE_DIR) + "/examples/data/cluster-a";

std::string Bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LabelsPartitions : public ::testing::Test {
 protected:
  // cluster-a's rows moved so that midnight_ falls in the middle of the
  // window (on the 60 s grid: the shift is a whole number of minutes).
  static void SetUpTestSuite() {
    io::Table original = io::ReadParquet(kData + "/kepler_labels.parquet");
    io::Column& ts = *original.Find("ts");
    double first = 1e300, last = 0;
    for (double t : ts.doubles) {
      first = std::min(first, t);
      last = std::max(last, t);
    }
    midnight_ = (std::floor(first / 86400) + 2) * 86400;
    const double shift =
        midnight_ - std::floor((last - first) / 2 / 60) * 60 - first;
    for (double& t : ts.doubles) t += shift;
    server_ = new testing::TestPrometheus(
        "", testing::OpenMetricsFromOriginal(original, &start_, &end_));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static LabelsOptions Options(OutputMode mode, const std::string& out) {
    LabelsOptions o;
    o.prom.url = server_->url();
    o.prom.quiet = true;
    o.start = start_;
    o.end = end_;
    o.step = 60;
    o.mode = mode;
    o.owner_source = OwnerSource::kProm;
    o.out = out;
    return o;
  }

  // One BIGINT from a DuckDB query.
  static int64_t Count(const std::string& sql) {
    io::DuckDbSession db("test");
    io::Table t = db.Query(sql, "test");
    return t.columns().at(0).ints.at(0);
  }

  // The folder's rows with hive partitioning, without the partition column.
  static std::string Hive(const fs::path& folder) {
    return "(SELECT * EXCLUDE (date) FROM read_parquet(" +
           io::SqlString((folder / "*" / "*.parquet").string()) +
           ", hive_partitioning = true))";
  }
  static std::string File(const fs::path& file) {
    return "(SELECT * FROM read_parquet(" + io::SqlString(file.string()) + "))";
  }

  // Rows in one and not the other (with multiplicity), both ways.
  static int64_t Difference(const std::string& a, const std::string& b) {
    return Count("SELECT count(*) FROM (" + a + " EXCEPT ALL " + b + ")") +
           Count("SELECT count(*) FROM (" + b + " EXCEPT ALL " + a + ")");
  }

  static std::vector<std::string> Entries(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      out.push_back(fs::relative(e.path(), folder).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // A fresh folder per test, removed afterwards.
  class Tmp {
   public:
    Tmp() : path_(io::MakeTempDir("podpower-partitions")) {}
    ~Tmp() {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

   private:
    fs::path path_;
  };

  // The window written as one file and as a day folder.
  struct Outputs {
    fs::path single, days;
    LabelsSummary one, split;
  };
  Outputs WriteBoth(OutputMode mode) {
    Outputs o;
    o.single = tmp_.path() / "single.parquet";
    o.days = tmp_.path() / "days";
    o.one = RunLabels(Options(mode, o.single.string()));
    o.split = RunLabels(Options(mode, o.days.string() + "/"));
    return o;
  }

  // Rows of the folder whose `date` is not the UTC day of `column`.
  static int64_t MisfiledRows(const fs::path& days, const std::string& column) {
    return Count("SELECT count(*) FROM read_parquet(" +
                 io::SqlString((days / "*" / "*.parquet").string()) +
                 ", hive_partitioning = true) WHERE CAST(date AS VARCHAR) <> "
                 "CAST(CAST(epoch_ms(CAST(" +
                 column + " * 1000 AS BIGINT)) AS DATE) AS VARCHAR)");
  }

  Tmp tmp_;
  static testing::TestPrometheus* server_;
  static double start_, end_, midnight_;
};

testing::TestPrometheus* LabelsPartitions::server_ = nullptr;
double LabelsPartitions::start_ = 0;
double LabelsPartitions::end_ = 0;
double LabelsPartitions::midnight_ = 0;

TEST_F(LabelsPartitions, labels_out_folder_writes_one_partition_per_utc_day) {
  const auto [single, days, one, split] = WriteBoth(OutputMode::kWindow);

  const std::string before = UtcDay(midnight_ - 1), after = UtcDay(midnight_);
  EXPECT_EQ(split.partitions, (std::vector<std::string>{before, after}));
  EXPECT_EQ(Entries(days),
            (std::vector<std::string>{
                "date=" + before, "date=" + before + "/labels.parquet",
                "date=" + after, "date=" + after + "/labels.parquet"}))
      << "one file per day, no temporary file left";
  ASSERT_GT(one.rows, 100);
  EXPECT_EQ(split.rows, one.rows);
  EXPECT_EQ(Count("SELECT count(*) FROM " + Hive(days)), one.rows);
  EXPECT_EQ(Difference(Hive(days), File(single)), 0)
      << "the partitions together hold the single file's rows";
  // Each row sits in the partition of its ts' UTC day.
  EXPECT_EQ(MisfiledRows(days, "ts"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM " +
                  File(days / ("date=" + before) / "labels.parquet")),
            0);
  // podpower's own reader (join, train, evaluate) reads the folder in date
  // order: the single file's rows in the same order.
  const io::Table mine = io::ReadParquetInput(days.string() + "/");
  const io::Table theirs = io::ReadParquet(single.string());
  ASSERT_EQ(mine.rows(), theirs.rows());
  for (const io::Column& c : theirs.columns()) {
    const io::Column* m = mine.Find(c.name);
    ASSERT_NE(m, nullptr) << c.name;
    EXPECT_EQ(m->valid, c.valid) << c.name;
    EXPECT_EQ(m->strings, c.strings) << c.name;
    // Exact: the same doubles written twice.
    for (size_t r = 0; r < c.doubles.size(); ++r) {
      if (c.valid[r]) {
        EXPECT_EQ(m->doubles[r], c.doubles[r]) << c.name;
      }
    }
  }
}

TEST_F(LabelsPartitions,
       labels_rerun_over_the_second_day_replaces_only_that_partition) {
  const auto [single, days, one, split] = WriteBoth(OutputMode::kWindow);
  const fs::path first =
      days / ("date=" + UtcDay(midnight_ - 1)) / "labels.parquet";
  const fs::path second =
      days / ("date=" + UtcDay(midnight_)) / "labels.parquet";
  const std::string first_bytes = Bytes(first);
  struct stat first_stat {
  }, second_stat{};
  ASSERT_EQ(stat(first.c_str(), &first_stat), 0);
  ASSERT_EQ(stat(second.c_str(), &second_stat), 0);

  // The second day again, from its midnight (an existing folder, no '/').
  LabelsOptions again = Options(OutputMode::kWindow, days.string());
  again.start = midnight_;
  const LabelsSummary s = RunLabels(again);
  EXPECT_EQ(s.partitions, std::vector<std::string>{UtcDay(midnight_)});

  struct stat first_now {
  }, second_now{};
  ASSERT_EQ(stat(first.c_str(), &first_now), 0);
  ASSERT_EQ(stat(second.c_str(), &second_now), 0);
  EXPECT_EQ(Bytes(first), first_bytes) << "the first day is untouched";
  EXPECT_EQ(first_now.st_ino, first_stat.st_ino) << "the first day's file";
  EXPECT_NE(second_now.st_ino, second_stat.st_ino)
      << "the second day's file was replaced (renamed over)";
  // The new partition holds the second day's steps. Its first step's energy
  // is the range start's baseline (null), so compare the keys.
  const std::string keys = "SELECT ts, namespace, pod, workload_name FROM ";
  EXPECT_EQ(Difference(keys + File(second),
                       keys + File(single) +
                           " WHERE ts >= " + std::to_string(midnight_)),
            0);
  EXPECT_EQ(Entries(days).size(), 4u) << "no temporary file left";
}

TEST_F(LabelsPartitions, labels_out_folder_joins_like_the_single_file) {
  const auto [single, days, one, split] = WriteBoth(OutputMode::kWindow);
  std::ostringstream log;
  join::JoinOptions options;
  const join::JoinStats a =
      join::JoinFiles(kData + "/features.parquet", single.string(),
                      (tmp_.path() / "a.parquet").string(), options, log);
  const join::JoinStats b =
      join::JoinFiles(kData + "/features.parquet", days.string() + "/",
                      (tmp_.path() / "b.parquet").string(), options, log);
  EXPECT_EQ(b.label_rows, a.label_rows);
  EXPECT_EQ(b.joined_rows, a.joined_rows);
  EXPECT_EQ(b.output_rows, a.output_rows);
  const int64_t rows =
      Count("SELECT count(*) FROM " + File(tmp_.path() / "a.parquet"));
  ASSERT_GT(rows, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM " + File(tmp_.path() / "b.parquet")),
            rows);
  // Labels summed in file order (one thread), and the folder's files are the
  // single file's rows in the same order: the same training rows, exactly.
  EXPECT_EQ(Difference(File(tmp_.path() / "a.parquet"),
                       File(tmp_.path() / "b.parquet")),
            0);
}

TEST_F(LabelsPartitions,
       labels_job_mode_out_folder_files_each_pod_by_first_seen_day) {
  const auto [single, days, one, split] = WriteBoth(OutputMode::kJob);
  // The days of the pods' first_seen (cluster-a's pods all run from the
  // start of the window: one day here; the test below starts after midnight).
  std::vector<std::string> expected;
  const io::Table jobs = io::ReadParquet(single.string());
  for (double t : jobs.Find("first_seen")->doubles) {
    const std::string day = UtcDay(t);
    if (std::find(expected.begin(), expected.end(), day) == expected.end()) {
      expected.push_back(day);
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(split.partitions, expected);
  EXPECT_EQ(Difference(Hive(days), File(single)), 0);
  EXPECT_EQ(MisfiledRows(days, "first_seen"), 0);
  EXPECT_EQ(split.rows, one.rows);

  // From midnight on, every pod starts on the second day: its partition is
  // added, the first day's is left.
  LabelsOptions later = Options(OutputMode::kJob, days.string() + "/");
  later.start = midnight_;
  EXPECT_EQ(RunLabels(later).partitions,
            std::vector<std::string>{UtcDay(midnight_)});
  EXPECT_EQ(
      Count("SELECT count(*) FROM " +
            File(days / ("date=" + UtcDay(midnight_)) / "labels.parquet")),
      one.rows);
  EXPECT_TRUE(
      fs::exists(days / ("date=" + expected.front()) / "labels.parquet"));
}

TEST(LabelsPartitionFolder, labels_out_folder_that_is_a_file_is_refused) {
  const fs::path tmp = io::MakeTempDir("podpower-partitions");
  const fs::path file = tmp / "taken";
  std::ofstream(file) << "x";
  LabelsOptions o;
  o.prom.url = "http://127.0.0.1:1";  // never asked: the check comes first
  o.prom.quiet = true;
  o.start = 0;
  o.end = 60;
  o.out = file.string() + "/";
  try {
    RunLabels(o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              o.out +
                  ": cannot create output: expected a folder (the path ends "
                  "with '/'), found a file");
  }
  EXPECT_EQ(Bytes(file), "x");
  fs::remove_all(tmp);
}

TEST(LabelsPartitionFolder, utc_day_names_the_day_of_unix_seconds) {
  EXPECT_EQ(UtcDay(0), "1970-01-01");
  EXPECT_EQ(UtcDay(86399.5), "1970-01-01");
  EXPECT_EQ(UtcDay(86400), "1970-01-02");
  EXPECT_EQ(UtcDay(1798761600), "2027-01-01");  // 2027-01-01T00:00:00Z
  EXPECT_EQ(UtcDay(1798761599), "2026-12-31");
  EXPECT_EQ(UtcDay(-1), "1969-12-31");
}

}  // namespace
}  // namespace podpower::labels
