// A Parquet output written in parts, so a window-mode run over thousands of
// pods never holds all its rows in memory.
//
// Add() writes each batch of rows to a hidden part file next to the target;
// Commit() merges the parts in order into the target with DuckDB (streaming
// COPY from read_parquet) through an io::AtomicFile, so the target appears
// whole or not at all. The destructor removes the part folder on every path.
// Not thread-safe. Throws podpower::Error naming the target on failure.
#ifndef PODPOWER_LABELS_PARQUET_PARTS_H_
#define PODPOWER_LABELS_PARQUET_PARTS_H_

#include <string>
#include <vector>

#include "io/table.h"

namespace podpower::labels {

class ParquetParts {
 public:
  explicit ParquetParts(std::string target);
  ~ParquetParts();
  ParquetParts(const ParquetParts&) = delete;
  ParquetParts& operator=(const ParquetParts&) = delete;

  // Writes `rows` as the next part (all parts must share one layout).
  void Add(const io::Table& rows);

  // Writes the target: the parts in order, or `last` alone when there are no
  // parts, or the parts followed by `last` (a table with no rows is skipped
  // unless nothing else exists).
  void Commit(const io::Table& last);

  size_t parts() const { return parts_.size(); }

 private:
  std::string target_;
  std::string dir_;
  std::vector<std::string> parts_;
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_PARQUET_PARTS_H_
