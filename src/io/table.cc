#include "io/table.h"

#include <string>

#include "io/error.h"

namespace podpower::io {

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "VARCHAR";
    case ColumnType::kInt64:
      return "BIGINT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kFloatList:
      return "FLOAT[]";
  }
  return "UNKNOWN";
}

void Column::AppendString(std::optional<std::string_view> v) {
  strings.emplace_back(v ? std::string(*v) : std::string());
  valid.push_back(v ? 1 : 0);
}

void Column::AppendInt64(std::optional<int64_t> v) {
  ints.push_back(v.value_or(0));
  valid.push_back(v ? 1 : 0);
}

void Column::AppendDouble(std::optional<double> v) {
  doubles.push_back(v.value_or(0.0));
  valid.push_back(v ? 1 : 0);
}

void Column::AppendFloatList(std::optional<std::span<const float>> v) {
  // A column made without AddColumn has no leading 0 offset yet.
  if (list_offsets.empty()) list_offsets.push_back(0);
  if (v) float_values.insert(float_values.end(), v->begin(), v->end());
  list_offsets.push_back(float_values.size());
  valid.push_back(v ? 1 : 0);
}

Column& Table::AddColumn(std::string name, ColumnType type) {
  if (Find(name) != nullptr) {
    throw Error((source.empty() ? std::string("table") : source) +
                ": duplicate column '" + name + "'");
  }
  Column& column = columns_.emplace_back();
  column.name = std::move(name);
  column.type = type;
  if (type == ColumnType::kFloatList) column.list_offsets.push_back(0);
  return column;
}

void Column::AppendRows(const Column& from, std::span<const size_t> rows) {
  if (from.type != type)
    throw Error("column '" + name + "': cannot append " +
                std::string(ColumnTypeName(from.type)) + " rows to " +
                std::string(ColumnTypeName(type)));
  switch (from.type) {
    case ColumnType::kString:
      for (size_t r : rows) {
        AppendString(from.is_null(r)
                         ? std::nullopt
                         : std::optional<std::string_view>(from.strings[r]));
      }
      break;
    case ColumnType::kInt64:
      for (size_t r : rows) {
        AppendInt64(from.is_null(r) ? std::nullopt
                                    : std::optional<int64_t>(from.ints[r]));
      }
      break;
    case ColumnType::kDouble:
      for (size_t r : rows) {
        AppendDouble(from.is_null(r) ? std::nullopt
                                     : std::optional<double>(from.doubles[r]));
      }
      break;
    case ColumnType::kFloatList: {
      size_t total = float_values.size();
      for (size_t r : rows) total += from.list(r).size();
      float_values.reserve(total);
      for (size_t r : rows) {
        AppendFloatList(from.is_null(r) ? std::nullopt
                                        : std::optional<std::span<const float>>(
                                              from.list(r)));
      }
      break;
    }
  }
}

const Column* Table::Find(std::string_view name) const {
  for (const Column& column : columns_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

Column* Table::Find(std::string_view name) {
  for (Column& column : columns_) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

const Column& Table::Require(std::string_view name, ColumnType type) const {
  const std::string where = source.empty() ? std::string("table") : source;
  const Column* column = Find(name);
  if (column == nullptr) {
    throw Error(where + ": column '" + std::string(name) +
                "' missing (expected " + std::string(ColumnTypeName(type)) +
                ")");
  }
  if (column->type != type) {
    throw Error(where + ": column '" + std::string(name) + "' is " +
                std::string(ColumnTypeName(column->type)) + ", expected " +
                std::string(ColumnTypeName(type)));
  }
  return *column;
}

}  // namespace podpower::io
