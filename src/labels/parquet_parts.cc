#include "labels/parquet_parts.h"

#include <duckdb.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/parquet.h"

namespace podpower::labels {
namespace {

std::string SqlString(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

void Merge(const std::vector<std::string>& parts, const std::string& target) {
  io::AtomicFile file(target);
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  if (duckdb_open(nullptr, &db) == DuckDBError) {
    throw Error(target + ": cannot write Parquet: cannot open DuckDB");
  }
  std::unique_ptr<duckdb_database, void (*)(duckdb_database*)> db_guard(
      &db, duckdb_close);
  if (duckdb_connect(db, &con) == DuckDBError) {
    throw Error(target + ": cannot write Parquet: cannot connect to DuckDB");
  }
  std::unique_ptr<duckdb_connection, void (*)(duckdb_connection*)> con_guard(
      &con, duckdb_disconnect);
  std::string list;
  for (const auto& p : parts) list += (list.empty() ? "" : ", ") + SqlString(p);
  // Insertion order is preserved (DuckDB's default), so parts come out in the
  // order given.
  const std::string sql = "COPY (SELECT * FROM read_parquet([" + list +
                          "])) TO " + SqlString(file.temp_path()) +
                          " (FORMAT parquet)";
  duckdb_result result;
  if (duckdb_query(con, sql.c_str(), &result) == DuckDBError) {
    std::string reason =
        duckdb_result_error(&result) ? duckdb_result_error(&result) : "";
    duckdb_destroy_result(&result);
    throw Error(target + ": cannot write Parquet: " + reason);
  }
  duckdb_destroy_result(&result);
  file.Commit();
}

}  // namespace

ParquetParts::ParquetParts(std::string target) : target_(std::move(target)) {}

ParquetParts::~ParquetParts() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void ParquetParts::Add(const io::Table& rows) {
  if (rows.rows() == 0) return;
  if (dir_.empty()) {
    std::filesystem::path target(target_);
    std::string tmpl =
        (target.has_parent_path() ? target.parent_path().string() + "/" : "") +
        "." + target.filename().string() + ".parts.XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw Error(target_ +
                  ": cannot create output: cannot make a folder for its parts");
    }
    dir_ = tmpl;
  }
  char name[32];
  std::snprintf(name, sizeof name, "/part-%06zu.parquet", parts_.size());
  parts_.push_back(dir_ + name);
  io::WriteParquet(rows, parts_.back());
}

void ParquetParts::Commit(const io::Table& last) {
  if (parts_.empty()) {
    io::WriteParquet(last, target_);
    return;
  }
  Add(last);
  Merge(parts_, target_);
}

}  // namespace podpower::labels
