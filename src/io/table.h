// An in-memory columnar table: what podpower reads from and writes to Parquet.
//
// A Table owns its columns. Each column has one type; nullable cells are marked
// in `valid`. FLOAT[] cells (feature vectors) are stored flat: the values of
// row r are float_values[list_offsets[r] .. list_offsets[r+1]), so a 100k x 384
// feature block is one allocation. Not thread-safe for concurrent mutation;
// concurrent reads are fine.
#ifndef PODPOWER_IO_TABLE_H_
#define PODPOWER_IO_TABLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podpower::io {

enum class ColumnType { kString, kInt64, kDouble, kFloatList };

// "VARCHAR", "BIGINT", "DOUBLE", "FLOAT[]": the names used in error messages
// and docs.
std::string_view ColumnTypeName(ColumnType type);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  std::vector<std::string> strings;    // kString
  std::vector<int64_t> ints;           // kInt64
  std::vector<double> doubles;         // kDouble
  std::vector<float> float_values;     // kFloatList, flat
  std::vector<uint64_t> list_offsets;  // kFloatList, size() == rows + 1
  std::vector<uint8_t> valid;  // 1 = value present, 0 = NULL; size() == rows

  size_t size() const { return valid.size(); }
  bool is_null(size_t row) const { return valid[row] == 0; }
  std::span<const float> list(size_t row) const {
    return {float_values.data() + list_offsets[row],
            float_values.data() + list_offsets[row + 1]};
  }

  // Appenders keep every vector in step; pass std::nullopt for NULL.
  void AppendString(std::optional<std::string_view> v);
  void AppendInt64(std::optional<int64_t> v);
  void AppendDouble(std::optional<double> v);
  void AppendFloatList(std::optional<std::span<const float>> v);
  // Appends rows `rows` of `from` (same type), in that order, nulls kept.
  void AppendRows(const Column& from, std::span<const size_t> rows);
};

class Table {
 public:
  Table() = default;

  // Adds an empty column; returns it for appending. The reference (like any
  // Column& or Column* into the table) is invalidated by the next AddColumn:
  // add all columns first, then fill them. Throws podpower::Error on a
  // duplicate name.
  Column& AddColumn(std::string name, ColumnType type);

  size_t rows() const { return columns_.empty() ? 0 : columns_.front().size(); }
  const std::vector<Column>& columns() const { return columns_; }
  std::vector<Column>& columns() { return columns_; }

  // nullptr when absent.
  const Column* Find(std::string_view name) const;
  Column* Find(std::string_view name);

  // The column, or podpower::Error "<source>: column '<name>' missing (expected
  // <TYPE>)" /
  // "<source>: column '<name>' is <TYPE>, expected <TYPE>". `source` is the
  // file the table came from, so the message names it.
  const Column& Require(std::string_view name, ColumnType type) const;

  // Where the table was read from ("" when built in memory); used in error
  // messages.
  std::string source;

 private:
  std::vector<Column> columns_;
};

}  // namespace podpower::io

#endif  // PODPOWER_IO_TABLE_H_
