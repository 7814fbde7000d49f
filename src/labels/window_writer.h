// Window-mode labels on their way to Parquet, through one temporary DuckDB
// database on disk, so a run over thousands of pods and days never holds its
// rows in memory.
//
// Pods are registered once (AddPod: their five strings); rows carry only the
// pod's number and three doubles, appended with DuckDB's data-chunk API into a
// table in "<folder of target>/.<name>.rows.XXXXXX/rows.duckdb" (DuckDB's
// memory_limit bounds its memory; it spills into that folder). Commit() writes
// the target through io::AtomicFile with one
//   COPY (SELECT ts, <pod strings>, avg_power_w, energy_step_j, ... FROM rows)
// a single-table projection, which DuckDB guarantees keeps the rows in the
// order they were added. The strings come from scalar functions over the pod
// number; a column whose values would repeat in most row groups anyway is
// produced as an ENUM, which DuckDB's Parquet writer stores as the same UTF8
// BYTE_ARRAY column (readers see VARCHAR) without hashing every cell.
//
// Columns: ts, namespace, workload_kind, workload_name, pod (VARCHAR),
// avg_power_w, energy_step_j (DOUBLE, nullable), owner_source (VARCHAR); see
// docs/formats/labels.md. The destructor removes the folder on every path; the
// target appears whole (Commit) or not at all. DuckDB's appends run on a
// thread of the writer's own (joined by Commit and the destructor); the class
// itself is not thread-safe: one caller thread. Failures throw
// podpower::Error "<target>: cannot write Parquet: <reason>" (or "cannot create
// output" when the folder cannot be made).
#ifndef PODPOWER_LABELS_WINDOW_WRITER_H_
#define PODPOWER_LABELS_WINDOW_WRITER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
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
  // DuckDB's memory_limit for the temporary database (it spills beyond it).
  std::string memory_limit = "256MB";
};

class WindowWriter {
 public:
  // Creates the temporary folder and database. Throws podpower::Error.
  explicit WindowWriter(std::string target, WindowWriterOptions options = {});
  ~WindowWriter();
  WindowWriter(const WindowWriter&) = delete;
  WindowWriter& operator=(const WindowWriter&) = delete;

  // Registers a pod; returns its number for Add(). Each call is a new pod.
  uint32_t AddPod(const WindowPod& pod);

  // Appends one row (rows come out in the order they are added).
  void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
           std::optional<double> energy_step_j);

  int64_t rows() const { return rows_; }

  // Writes the target. Call once; the writer is done afterwards.
  void Commit();

 private:
  struct Db;
  // One string column: distinct values, each pod's value, and how many
  // Parquet row groups each value would appear in (to choose ENUM or not).
  struct Strings {
    std::vector<std::string> values;
    std::unordered_map<std::string, uint32_t> index;
    std::vector<uint32_t> of_pod;
    std::vector<int64_t> last_group;
    std::vector<int64_t> groups;
  };
  static constexpr size_t kColumns = 5;

  void Open(const WindowWriterOptions& options);
  void Flush();
  void Fail(const std::string& what) const;

  std::string target_;
  std::string dir_;
  std::array<Strings, kColumns> strings_;
  std::vector<int64_t> pod_last_group_;
  int64_t rows_ = 0;
  std::unique_ptr<Db> db_;  // last: closed before the data its functions use
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_WINDOW_WRITER_H_
