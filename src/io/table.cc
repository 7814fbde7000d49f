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
