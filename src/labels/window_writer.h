// Window-mode labels on their way to Parquet, streamed: one DuckDB
//   COPY (SELECT * FROM podpower_rows()) TO '<tmp>' (FORMAT parquet)
// runs for the writer's whole life, and the rows reach it as they are added,
// so a run over thousands of pods and days never holds its rows in memory and
// never writes them twice (no temporary database, no temporary folder).
//
// Every pod is given to the constructor, before the first row (labels.cc lists
// them from Prometheus first): a pod's number for Add() is its index there.
// Knowing the pods up front lets each string column be an ENUM over its
// distinct values, so the Parquet writer copies a small code per cell instead
// of hashing every string; a column whose ENUM dictionary would bloat the file
// (ENUM dictionaries are written whole in every row group, see
// WindowWriterOptions::max_enum_dictionary_bytes) is plain VARCHAR instead.
// Either way readers see the same UTF8 strings.
//
// Add() fills a DuckDB data chunk with the row's doubles and pod number; full
// chunks go through a bounded queue (a few chunks) to podpower_rows(), a table
// function registered through DuckDB's C API and read by the COPY on a thread
// of the writer's own, which turns pod numbers into the pod's strings (ENUM
// codes, or references to the writer's copy of the strings). The scan is
// single-threaded and insertion order is preserved, so the rows come out
// exactly in the order they were added. DuckDB's memory_limit bounds its
// memory (nothing spills: a streaming COPY holds about one row group).
//
// Columns: ts, namespace, workload_kind, workload_name, pod (strings),
// avg_power_w, energy_step_j (DOUBLE, nullable), owner_source (string); see
// docs/formats/labels.md. The COPY writes a hidden temporary file next to the
// target (io::AtomicFile); Commit() ends the rows, waits for the COPY and
// renames the file into place. The destructor (Commit not called, or failed)
// makes the COPY fail, joins the thread and removes the temporary file: the
// target appears whole or not at all.
//
// Not thread-safe: one caller thread (the COPY's thread is internal). Failures
// throw podpower::Error "<target>: cannot write Parquet: <reason>" (or "cannot
// create output" when the temporary file cannot be made); an error DuckDB hits
// mid-COPY is thrown by the next Add() or Commit(). A row for a pod number the
// constructor was not given is refused (that Add() throws, nothing is written
// and the writer stays usable); callers drop such rows before (labels.cc counts
// them as late pods).
#ifndef PODPOWER_LABELS_WINDOW_WRITER_H_
#define PODPOWER_LABELS_WINDOW_WRITER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace podpower::labels {

// The per-pod strings of a window row, in column order.
struct WindowPod {
  std::string namespace_;
  std::string workload_kind;
  std::string workload_name;
  std::string pod;
  std::string owner_source;
};

struct WindowWriterOptions {
  // DuckDB's memory_limit (the COPY fails rather than exceed it).
  std::string memory_limit = "256MB";
  // A string column is an ENUM when its dictionary, the sum over its distinct
  // values of (bytes + 4), is at most this; VARCHAR otherwise. DuckDB writes
  // an ENUM column's whole dictionary in every row group (122,880 rows), while
  // VARCHAR writes only the values present there. When the pods live through
  // the range (the usual case: every pod in every row group) both dictionaries
  // are the same; in the worst case (each pod in one row group only) the ENUM
  // adds this many bytes per row group, one byte per row, next to rows that
  // take 3 doubles each. So the cost is bounded, and the saving (no string
  // hashing per cell, about half the writer's CPU) is kept for clusters of up
  // to a few thousand pods; beyond that (many short-lived pods) VARCHAR.
  size_t max_enum_dictionary_bytes = 122880;
  // Pods (numbers) with rows at the start of the range, when known: a row
  // group spans a short stretch of time, so VARCHAR would write about their
  // values in each one. A column also stays an ENUM while its dictionary is
  // at most twice theirs: many long-lived pods are not a reason for VARCHAR,
  // and the bloat stays within one VARCHAR dictionary per row group.
  std::vector<uint32_t> active_pods;
};

class WindowWriter {
 public:
  // Creates the temporary file and starts the COPY; pods[i] is pod number i.
  // Throws podpower::Error.
  WindowWriter(std::string target, const std::vector<WindowPod>& pods,
               WindowWriterOptions options = {});
  ~WindowWriter();
  WindowWriter(const WindowWriter&) = delete;
  WindowWriter& operator=(const WindowWriter&) = delete;

  // Appends one row (rows come out in the order they are added). Throws for
  // a pod number >= the number of pods (the row is not written).
  void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
           std::optional<double> energy_step_j);

  int64_t rows() const { return rows_; }

  // Whether each string column (WindowPod's order) is written from an ENUM.
  std::array<bool, 5> enum_columns() const;

  // Ends the rows and completes the Parquet file under its temporary name,
  // then frees DuckDB and the pods' strings: what is left is the temporary
  // file (and its lock), which Commit() renames and the destructor removes.
  // labels' partitioned output finishes each day this way and renames every
  // day only when all are written. Call at most once; no Add() afterwards.
  void Finish();

  // Writes the target (Finish() first when not called yet). Call once; the
  // writer is done afterwards.
  void Commit();

 private:
  struct Db;

  void Flush();
  [[noreturn]] void Fail(const std::string& what) const;

  std::string target_;
  int64_t rows_ = 0;
  std::unique_ptr<Db> db_;
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_WINDOW_WRITER_H_
