#include "io/parquet.h"

#include <duckdb.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "io/error.h"
#include "io/testing.h"

namespace podpower::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kData = podpower::testing::SourcePath("examples/data");

class ParquetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A quote in the folder name checks that paths are escaped inside DuckDB's
    // SQL.
    dir_ = podpower::testing::MakeTempDir("podpower_parquet_it's");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::vector<std::string> Entries() const {
    return podpower::testing::FileNames(dir_);
  }

  // Runs SQL in a fresh DuckDB (the outside writer for files podpower did not
  // make).
  static void DuckSql(const std::string& sql) {
    duckdb_database db;
    duckdb_connection con;
    ASSERT_EQ(duckdb_open(nullptr, &db), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
    duckdb_result r;
    const bool ok = duckdb_query(con, sql.c_str(), &r) == DuckDBSuccess;
    std::string err = ok ? "" : duckdb_result_error(&r);
    duckdb_destroy_result(&r);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    ASSERT_TRUE(ok) << sql << ": " << err;
  }
  static std::string Quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += (c == '\'') ? std::string("''") : std::string(1, c);
    return out + "'";
  }

  fs::path dir_;
};

using podpower::testing::ErrorOf;

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() ||
          std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// 5000 rows span three of DuckDB's 2048-row chunks.
Table AllTypes(size_t rows) {
  Table t;
  t.AddColumn("name with \"quotes\" and space", ColumnType::kString);
  t.AddColumn("n", ColumnType::kInt64);
  t.AddColumn("watts", ColumnType::kDouble);
  t.AddColumn("features", ColumnType::kFloatList);
  // AddColumn's reference dies with the next AddColumn; take them once all
  // columns exist.
  Column& s = t.columns()[0];
  Column& i = t.columns()[1];
  Column& d = t.columns()[2];
  Column& f = t.columns()[3];
  std::mt19937 rng(42);
  for (size_t r = 0; r < rows; ++r) {
    if (r % 7 == 3) {
      s.AppendString(std::nullopt);
    } else if (r % 11 == 0) {
      s.AppendString("");
    } else {
      // Long (heap) and short (inlined) strings, quotes, UTF-8, an embedded
      // NUL.
      std::string v = "pod-'" + std::to_string(r) + "'-ünïcode-\xe2\x82\xac";
      if (r % 5 == 0) v += std::string(40, 'x') + std::string("\0z", 2);
      s.AppendString(v);
    }
    if (r % 13 == 1) {
      i.AppendInt64(std::nullopt);
    } else if (r == 2) {
      i.AppendInt64(std::numeric_limits<int64_t>::min());
    } else if (r == 4) {
      i.AppendInt64(std::numeric_limits<int64_t>::max());
    } else {
      i.AppendInt64(static_cast<int64_t>(rng()) - (1 << 30));
    }
    if (r % 17 == 2) {
      d.AppendDouble(std::nullopt);
    } else if (r == 5) {
      d.AppendDouble(-0.0);
    } else if (r == 6) {
      d.AppendDouble(std::numeric_limits<double>::infinity());
    } else if (r == 7) {
      d.AppendDouble(std::numeric_limits<double>::denorm_min());
    } else {
      d.AppendDouble(
          std::bit_cast<double>((static_cast<uint64_t>(rng()) << 20) ^ rng()));
    }
    if (r % 19 == 4) {
      f.AppendFloatList(std::nullopt);
    } else {
      std::vector<float> v(r % 23);  // includes empty lists
      for (float& x : v)
        x = std::ldexp(static_cast<float>(rng() % 100000) - 50000.0f, -20);
      f.AppendFloatList(v);
    }
  }
  return t;
}

void ExpectSameTable(const Table& a, const Table& b) {
  ASSERT_EQ(a.columns().size(), b.columns().size());
  ASSERT_EQ(a.rows(), b.rows());
  for (size_t c = 0; c < a.columns().size(); ++c) {
    const Column& x = a.columns()[c];
    const Column& y = b.columns()[c];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.type, y.type);
    EXPECT_EQ(x.valid, y.valid);
    switch (x.type) {
      case ColumnType::kString:
        EXPECT_EQ(x.strings, y.strings);
        break;
      case ColumnType::kInt64:
        EXPECT_EQ(x.ints, y.ints);
        break;
      case ColumnType::kDouble:
        ASSERT_EQ(x.doubles.size(), y.doubles.size());
        if (!x.doubles.empty()) {
          EXPECT_EQ(0, std::memcmp(x.doubles.data(), y.doubles.data(),
                                   x.doubles.size() * sizeof(double)));
        }
        break;
      case ColumnType::kFloatList:
        EXPECT_EQ(x.list_offsets, y.list_offsets);
        EXPECT_TRUE(SameBits(x.float_values, y.float_values));
        break;
    }
  }
}

TEST_F(ParquetTest, round_trip_keeps_every_type_value_and_null) {
  const Table t = AllTypes(5000);
  WriteParquet(t, Path("all.parquet"));
  const Table back = ReadParquet(Path("all.parquet"));
  EXPECT_EQ(back.source, Path("all.parquet"));
  ExpectSameTable(t, back);
  EXPECT_EQ(Entries(), std::vector<std::string>{"all.parquet"});
}

TEST_F(ParquetTest, round_trip_of_zero_rows_keeps_the_schema) {
  const Table t = AllTypes(0);
  WriteParquet(t, Path("empty.parquet"));
  const Table back = ReadParquet(Path("empty.parquet"));
  ExpectSameTable(t, back);
}

TEST_F(ParquetTest, float_lists_are_bit_exact_for_random_bit_patterns) {
  Table t;
  Column& f = t.AddColumn("features", ColumnType::kFloatList);
  std::mt19937 rng(7);
  std::vector<float> row(384);
  for (int r = 0; r < 3000; ++r) {
    for (float& x : row) {
      do {
        x = std::bit_cast<float>(static_cast<uint32_t>(rng()));
      } while (std::isnan(x));  // NaN payloads are not a value podpower stores
    }
    f.AppendFloatList(row);
  }
  WriteParquet(t, Path("f.parquet"));
  const Table back = ReadParquet(Path("f.parquet"));
  const Column& g = back.Require("features", ColumnType::kFloatList);
  EXPECT_EQ(g.list_offsets, f.list_offsets);
  EXPECT_TRUE(SameBits(f.float_values, g.float_values));
}

TEST_F(ParquetTest, reads_original_train_rows_of_cluster_a) {
  const Table t = ReadParquet(kData + "/cluster-a/train_rows.parquet");
  EXPECT_EQ(t.rows(), 826u);
  std::vector<std::string> names;
  for (const Column& c : t.columns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "ts", "namespace", "workload_kind", "workload_name",
                       "pod", "avg_power_w", "energy_step_j", "canon_kind",
                       "canon_name", "_spec_hash", "features"}));
  const Column& f = t.Require("features", ColumnType::kFloatList);
  for (size_t r = 0; r < t.rows(); ++r)
    ASSERT_EQ(f.list(r).size(), 393u) << "row " << r;
  t.Require("ts", ColumnType::kDouble);
  // The data README: avg_power_w is always null in these samples.
  const Column& p = t.Require("avg_power_w", ColumnType::kDouble);
  EXPECT_EQ(std::count(p.valid.begin(), p.valid.end(), 0), 826);
}

TEST_F(ParquetTest, reads_original_features_with_vec_len_equal_to_list_length) {
  for (const auto& [file, rows, len] :
       {std::tuple<std::string, size_t, int64_t>{"cluster-a/features.parquet",
                                                 10, 393},
        std::tuple<std::string, size_t, int64_t>{"cluster-b/features.parquet",
                                                 22, 9}}) {
    SCOPED_TRACE(file);
    const Table t = ReadParquet(kData + "/" + file);
    ASSERT_EQ(t.rows(), rows);
    const Column& vec_len = t.Require("vec_len", ColumnType::kInt64);
    const Column& f = t.Require("features", ColumnType::kFloatList);
    for (size_t r = 0; r < t.rows(); ++r) {
      EXPECT_EQ(vec_len.ints[r], len);
      EXPECT_EQ(static_cast<int64_t>(f.list(r).size()), vec_len.ints[r]);
    }
  }
}

TEST_F(ParquetTest,
       converts_other_numeric_and_list_types_written_by_other_tools) {
  DuckSql(
      "COPY (SELECT 7::INTEGER AS i, 200::UTINYINT AS u, 1.5::FLOAT AS f, "
      "12.25::DECIMAL(10,2) AS "
      "dec, [0.5, 0.25]::DOUBLE[] AS dl, [1.0, 2.0, 3.0]::FLOAT[3] AS fa, "
      "NULL::FLOAT[] AS nl) TO " +
      Quote(Path("other.parquet")) + " (FORMAT parquet)");
  const Table t = ReadParquet(Path("other.parquet"));
  EXPECT_EQ(t.Require("i", ColumnType::kInt64).ints.at(0), 7);
  EXPECT_EQ(t.Require("u", ColumnType::kInt64).ints.at(0), 200);
  EXPECT_EQ(t.Require("f", ColumnType::kDouble).doubles.at(0), 1.5);
  EXPECT_EQ(t.Require("dec", ColumnType::kDouble).doubles.at(0), 12.25);
  EXPECT_EQ(t.Require("dl", ColumnType::kFloatList).float_values,
            (std::vector<float>{0.5f, 0.25f}));
  EXPECT_EQ(t.Require("fa", ColumnType::kFloatList).float_values,
            (std::vector<float>{1.0f, 2.0f, 3.0f}));
  EXPECT_TRUE(t.Require("nl", ColumnType::kFloatList).is_null(0));
}

TEST_F(ParquetTest, unsupported_column_type_names_file_column_and_type) {
  DuckSql("COPY (SELECT 1 AS a, TRUE AS flag) TO " +
          Quote(Path("bool.parquet")) + " (FORMAT parquet)");
  const std::string msg = ErrorOf([&] { ReadParquet(Path("bool.parquet")); });
  EXPECT_THAT(msg, HasSubstr(Path("bool.parquet") +
                             ": column 'flag' is BOOLEAN, expected"));
}

TEST_F(ParquetTest, null_inside_a_feature_list_is_an_error) {
  DuckSql("COPY (SELECT [1.0, NULL]::FLOAT[] AS features) TO " +
          Quote(Path("n.parquet")) + " (FORMAT parquet)");
  EXPECT_THAT(ErrorOf([&] { ReadParquet(Path("n.parquet")); }),
              HasSubstr("column 'features' row 1: NULL inside a list"));
}

TEST_F(ParquetTest, nonexistent_file_is_an_error_naming_it) {
  EXPECT_THAT(ErrorOf([&] { ReadParquet(Path("missing.parquet")); }),
              HasSubstr(Path("missing.parquet") +
                        ": cannot read Parquet: No such file"));
}

TEST_F(ParquetTest, non_parquet_file_is_an_error_naming_it) {
  std::ofstream(Path("not.parquet")) << "{\"this\": \"is json\"}\n";
  EXPECT_THAT(ErrorOf([&] { ReadParquet(Path("not.parquet")); }),
              HasSubstr(Path("not.parquet") + ": cannot read Parquet: "));
}

TEST_F(ParquetTest, missing_column_after_read_names_the_file) {
  const Table t = ReadParquet(kData + "/cluster-a/features.parquet");
  EXPECT_EQ(ErrorOf([&] { t.Require("energy_step_j", ColumnType::kDouble); }),
            kData +
                "/cluster-a/features.parquet: column 'energy_step_j' missing "
                "(expected DOUBLE)");
  EXPECT_EQ(ErrorOf([&] { t.Require("vec_len", ColumnType::kDouble); }),
            kData +
                "/cluster-a/features.parquet: column 'vec_len' is BIGINT, "
                "expected DOUBLE");
}

TEST_F(ParquetTest, write_into_missing_folder_fails_and_leaves_nothing) {
  const std::string target = Path("nope/out.parquet");
  EXPECT_THAT(ErrorOf([&] { WriteParquet(AllTypes(3), target); }),
              HasSubstr(target + ": cannot create output"));
  EXPECT_TRUE(Entries().empty());
}

TEST_F(ParquetTest, failed_write_leaves_no_temp_and_keeps_the_old_file) {
  const std::string target = Path("out.parquet");
  WriteParquet(AllTypes(10), target);
  Table bad = AllTypes(20);
  bad.columns()[1].name =
      bad.columns()[0].name;  // DuckDB refuses duplicate columns mid-write
  EXPECT_THAT(ErrorOf([&] { WriteParquet(bad, target); }),
              HasSubstr(target + ": cannot write Parquet"));
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.parquet"});
  EXPECT_EQ(ReadParquet(target).rows(), 10u);
}

TEST_F(ParquetTest, inconsistent_table_is_refused_before_writing) {
  Table t = AllTypes(4);
  t.columns()[2].AppendDouble(1.0);
  EXPECT_THAT(ErrorOf([&] { WriteParquet(t, Path("x.parquet")); }),
              HasSubstr("column 'watts' has 5 rows, expected 4"));
  EXPECT_TRUE(Entries().empty());
}

}  // namespace
}  // namespace podpower::io
