// The join stage: power labels x workload features -> training rows.
//
// Each label row (one pod, one time step) is matched with every feature row
// (one workload spec) of the same workload: equal normalized namespace and
// equal canonical name (canonical.h); kinds are ignored, like the original.
// The output keeps the label columns in their order (namespace lower-cased and
// trimmed, kind and name trimmed), then canon_kind, canon_name, _spec_hash and
// features. Rows come out in label order; a label row matching several feature
// rows is repeated once per feature row, in feature order. A NULL namespace or
// name never matches. Layouts: docs/formats/join.md.
// Functions are thread-compatible (no shared state).
#ifndef PODPOWER_JOIN_JOIN_H_
#define PODPOWER_JOIN_JOIN_H_

#include <cstddef>
#include <iostream>
#include <string>

#include "io/table.h"

namespace podpower::join {

struct JoinStats {
  size_t label_rows = 0;
  size_t feature_rows = 0;
  size_t joined_rows = 0;
  size_t label_keys = 0;    // distinct (namespace, canon_name) in the labels
  size_t feature_keys = 0;  // distinct (namespace, canon_name) in the features
  size_t matched_keys = 0;  // keys on both sides
  size_t output_rows = 0;   // rows written (== joined_rows in the wide layout)
};

// kAggregated (the default): one row per (workload, spec) with the labels'
// statistics; kWide: the original's row per label row x matching feature row.
enum class Layout { kAggregated, kWide };
// "aggregated" or "wide"; else podpower::Error naming `flag`.
Layout ParseLayout(const std::string& text, const std::string& flag);

struct JoinOptions {
  Layout layout = Layout::kAggregated;
  // Aggregated layout only: DuckDB's memory limit and spill folder ("" = a
  // hidden "<output's temporary file>.spill" folder beside the output,
  // removed afterwards), and its threads (1:
  // labels are summed in file order, so the means are the wide path's to the
  // bit; see docs/formats/join.md).
  std::string memory_limit = "1GB";
  std::string spill_dir;
  int threads = 1;
};

// Joins `labels` (namespace, workload_kind, workload_name: VARCHAR, any other
// columns) with `features` (namespace, workload_kind, workload_name,
// _spec_hash: VARCHAR; features: FLOAT[]). Throws podpower::Error naming the
// table's source for a missing or wrong-typed column. When no row joins, writes
// diagnostics (key counts, unmatched examples from each side, a hint) to
// `diagnostics` and throws podpower::Error. `stats` may be null.
io::Table JoinFeaturesLabels(const io::Table& features, const io::Table& labels,
                             std::ostream& diagnostics = std::cerr,
                             JoinStats* stats = nullptr);

// Reads both Parquet files, joins, writes `out_path` atomically (nothing is
// written when the join fails) in the wide layout. Returns what was joined.
JoinStats JoinFeaturesLabelsFiles(const std::string& features_path,
                                  const std::string& labels_path,
                                  const std::string& out_path,
                                  std::ostream& diagnostics = std::cerr);

// `podpower join`: `features_path` and `labels_path` may each be a Parquet
// file, a glob or a hive-partitioned folder (io::ExpandParquetInput). Wide:
// JoinFeaturesLabelsFiles' output (a plain file in, the same bytes out).
// Aggregated: DuckDB streams the labels through the join and a GROUP BY per
// (namespace, workload_kind, workload_name, _spec_hash, features) under
// options.memory_limit, spilling to options.spill_dir, so podpower never holds
// a label row x feature vector; columns in docs/formats/join.md. Same errors
// and diagnostics as JoinFeaturesLabels; nothing is written on failure.
JoinStats JoinFiles(const std::string& features_path,
                    const std::string& labels_path, const std::string& out_path,
                    const JoinOptions& options,
                    std::ostream& diagnostics = std::cerr);

}  // namespace podpower::join

#endif  // PODPOWER_JOIN_JOIN_H_
