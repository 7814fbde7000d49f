// Parquet files through DuckDB's C API.
//
// ReadParquet maps DuckDB types onto Table columns: VARCHAR -> kString;
// TINYINT..BIGINT and unsigned types -> kInt64; FLOAT, DOUBLE, DECIMAL ->
// kDouble; FLOAT[]/DOUBLE[] lists and arrays -> kFloatList. Other types are an
// Error naming the file and column. WriteParquet writes to a temporary file in
// the target's folder and renames it into place, so a failed or killed run
// leaves either the old file or the complete new one (see atomic_file.h). Both
// are thread-compatible: each call opens its own in-memory DuckDB database.
#ifndef PODPOWER_IO_PARQUET_H_
#define PODPOWER_IO_PARQUET_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/table.h"

namespace podpower::io {

// Columns and rows come back in file order; values are bit-exact. Throws
// podpower::Error: "<path>: cannot read Parquet: <reason>" (missing file, not
// Parquet), "<path>: column '<c>' is <TYPE>, expected ..." (unsupported type),
// a NULL element inside a list, or a UBIGINT above INT64_MAX. DuckDB expands
// glob characters (* ? [) in `path`: callers should not pass such names.
// Formats: docs/formats/parquet.md.
Table ReadParquet(const std::string& path);

// Column types: kString -> VARCHAR, kInt64 -> BIGINT, kDouble -> DOUBLE,
// kFloatList -> FLOAT[]. Throws podpower::Error naming the path; on failure no
// file is left at `path` (an existing one is untouched).
void WriteParquet(const Table& table, const std::string& path);

// '...' SQL string literal for DuckDB statements: quotes doubled, so any path
// or value is safe to embed.
std::string SqlString(std::string_view text);

// ---- Out-of-core work (join's aggregated layout) ----------------------------

// Settings of a DuckDbSession; empty / 0 keeps DuckDB's default.
struct DuckDbLimits {
  std::string memory_limit;    // e.g. "2GB": DuckDB spills beyond it
  std::string temp_directory;  // spill folder (created by DuckDB when needed)
  int threads = 0;
};

// One in-memory DuckDB database for SQL over Parquet files that may be larger
// than memory (extension auto-install/auto-load off, like the readers above).
// Owns its database; not thread-safe (one user at a time). Every method throws
// podpower::Error "<what>: <context>: <DuckDB's reason>" (one line) on failure.
class DuckDbSession {
 public:
  explicit DuckDbSession(const std::string& what,
                         const DuckDbLimits& limits = {});
  ~DuckDbSession();
  DuckDbSession(const DuckDbSession&) = delete;
  DuckDbSession& operator=(const DuckDbSession&) = delete;

  // Runs a statement, ignoring any result.
  void Execute(const std::string& sql, const std::string& context);
  // Runs a SELECT and returns its rows as a Table (ReadParquet's type
  // mapping; other types are an Error naming `source`); table.source = source.
  Table Query(const std::string& sql, const std::string& source);
  // CREATE TABLE `name` holding `table` (WriteParquet's column types).
  void CreateTable(const std::string& name, const Table& table,
                   const std::string& context);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An input argument resolved to files: a Parquet file; a glob(3) pattern
// (* ? [: the matching regular files, sorted); or a folder (every *.parquet
// under it, recursively, sorted by path, hidden entries skipped; `hive`: its
// key=value folder names are columns, e.g. date=2026-12-01/).
struct ParquetInput {
  std::vector<std::string> files;
  bool hive = false;
};
// Throws podpower::Error "<path>: cannot read Parquet: <reason>" for a missing
// path, a glob without matches or a folder without *.parquet.
ParquetInput ExpandParquetInput(const std::string& path);

// "read_parquet([files...], ...)" for `input` (hive partitions as VARCHAR
// columns; several files are unioned by column name), with `options` (e.g.
// "filename = true") appended.
std::string ParquetInputSql(const ParquetInput& input,
                            const std::string& options = "");

// ReadParquet for a file, a glob or a hive-partitioned folder (files in
// ExpandParquetInput's order, rows in file order). A plain file is read by
// ReadParquet itself, so its Table is exactly ReadParquet's.
Table ReadParquetInput(const std::string& path);

}  // namespace podpower::io

#endif  // PODPOWER_IO_PARQUET_H_
