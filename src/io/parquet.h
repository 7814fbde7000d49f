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

#include <string>
#include <string_view>

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

}  // namespace podpower::io

#endif  // PODPOWER_IO_PARQUET_H_
