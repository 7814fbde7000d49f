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
// written when the join fails). Returns what was joined.
JoinStats JoinFeaturesLabelsFiles(const std::string& features_path,
                                  const std::string& labels_path,
                                  const std::string& out_path,
                                  std::ostream& diagnostics = std::cerr);

}  // namespace podpower::join

#endif  // PODPOWER_JOIN_JOIN_H_
