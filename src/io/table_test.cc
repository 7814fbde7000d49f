#include "io/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "io/error.h"
#include "io/testing.h"

namespace podpower::io {
namespace {

using ::testing::HasSubstr;

using podpower::testing::ErrorOf;

TEST(Table, require_missing_column_names_source_column_and_expected_type) {
  Table t;
  t.source = "labels.parquet";
  t.AddColumn("ts", ColumnType::kDouble);
  const std::string msg =
      ErrorOf([&] { t.Require("energy_step_j", ColumnType::kDouble); });
  EXPECT_EQ(msg,
            "labels.parquet: column 'energy_step_j' missing (expected DOUBLE)");
}

TEST(Table, require_wrong_type_names_actual_and_expected_type) {
  Table t;
  t.source = "features.parquet";
  t.AddColumn("features", ColumnType::kString);
  const std::string msg =
      ErrorOf([&] { t.Require("features", ColumnType::kFloatList); });
  EXPECT_EQ(msg,
            "features.parquet: column 'features' is VARCHAR, expected FLOAT[]");
}

TEST(Table, require_returns_the_column_when_type_matches) {
  Table t;
  t.AddColumn("n", ColumnType::kInt64).AppendInt64(7);
  EXPECT_EQ(t.Require("n", ColumnType::kInt64).ints.at(0), 7);
}

TEST(Table, duplicate_column_is_an_error) {
  Table t;
  t.AddColumn("a", ColumnType::kString);
  EXPECT_THAT(ErrorOf([&] { t.AddColumn("a", ColumnType::kInt64); }),
              HasSubstr("duplicate column 'a'"));
}

TEST(Table, find_returns_null_for_absent_column) {
  Table t;
  t.AddColumn("a", ColumnType::kString);
  EXPECT_EQ(t.Find("b"), nullptr);
  EXPECT_NE(t.Find("a"), nullptr);
}

TEST(Table, float_lists_are_stored_flat_with_offsets_and_nulls) {
  Table t;
  Column& c = t.AddColumn("v", ColumnType::kFloatList);
  const std::vector<float> a = {1.0f, 2.0f, 3.0f};
  const std::vector<float> b = {4.0f};
  c.AppendFloatList(a);
  c.AppendFloatList(std::nullopt);
  c.AppendFloatList(std::span<const float>());
  c.AppendFloatList(b);
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(c.list_offsets, (std::vector<uint64_t>{0, 3, 3, 3, 4}));
  EXPECT_EQ(c.float_values, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(c.is_null(1));
  EXPECT_FALSE(c.is_null(2));
  EXPECT_EQ(c.list(2).size(), 0u);
  ASSERT_EQ(c.list(3).size(), 1u);
  EXPECT_EQ(c.list(3)[0], 4.0f);
}

TEST(Table, appenders_keep_values_and_validity_in_step) {
  Column s, i, d;
  s.AppendString("x");
  s.AppendString(std::nullopt);
  i.AppendInt64(std::nullopt);
  d.AppendDouble(2.5);
  EXPECT_EQ(s.strings.size(), s.valid.size());
  EXPECT_EQ(s.valid, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(i.ints.size(), 1u);
  EXPECT_TRUE(i.is_null(0));
  EXPECT_EQ(d.doubles.at(0), 2.5);
}

TEST(Table, append_rows_copies_the_chosen_rows_in_order_with_nulls) {
  Table t;
  t.AddColumn("s", ColumnType::kString);
  t.AddColumn("v", ColumnType::kFloatList);
  Column& s = t.columns()[0];
  Column& v = t.columns()[1];
  const std::vector<float> a = {1.0f, 2.0f};
  const std::vector<float> b = {3.0f};
  s.AppendString("x");
  s.AppendString(std::nullopt);
  s.AppendString("z");
  v.AppendFloatList(a);
  v.AppendFloatList(std::nullopt);
  v.AppendFloatList(b);
  const std::vector<size_t> rows = {2, 1, 2};
  Column s2, v2;
  s2.type = ColumnType::kString;
  v2.type = ColumnType::kFloatList;
  s2.AppendRows(s, rows);
  v2.AppendRows(v, rows);
  EXPECT_EQ(s2.valid, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(s2.strings[0], "z");
  EXPECT_EQ(s2.strings[2], "z");
  EXPECT_TRUE(v2.is_null(1));
  EXPECT_EQ(v2.float_values, (std::vector<float>{3, 3}));
  EXPECT_EQ(v2.list_offsets, (std::vector<uint64_t>{0, 1, 1, 2}));
  Column d;
  d.type = ColumnType::kDouble;
  EXPECT_THROW(d.AppendRows(s, rows), Error);
}

TEST(Table, column_type_names_match_duckdb_spelling) {
  EXPECT_EQ(ColumnTypeName(ColumnType::kString), "VARCHAR");
  EXPECT_EQ(ColumnTypeName(ColumnType::kInt64), "BIGINT");
  EXPECT_EQ(ColumnTypeName(ColumnType::kDouble), "DOUBLE");
  EXPECT_EQ(ColumnTypeName(ColumnType::kFloatList), "FLOAT[]");
}

}  // namespace
}  // namespace podpower::io
