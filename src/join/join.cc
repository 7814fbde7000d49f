#include "join/join.h"

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/error.h"
#include "io/parquet.h"
#include "join/canonical.h"

namespace podpower::join {
namespace {

using io::Column;
using io::ColumnType;
using io::Table;

constexpr size_t kExamples = 5;

struct Key {
  std::string ns;
  std::string name;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    return std::hash<std::string>()(k.ns) * 31 +
           std::hash<std::string>()(k.name);
  }
};

// Each row's normalized key columns and canonical workload; `joinable` is
// false when namespace or name is NULL.
struct RowKeys {
  std::vector<std::string> ns, kind, name;
  std::vector<CanonicalWorkload> canon;
  std::vector<uint8_t> joinable;
};

RowKeys KeysOf(const Table& table) {
  const Column& ns = table.Require("namespace", ColumnType::kString);
  const Column& kind = table.Require("workload_kind", ColumnType::kString);
  const Column& name = table.Require("workload_name", ColumnType::kString);
  RowKeys keys;
  const size_t rows = table.rows();
  keys.ns.reserve(rows);
  keys.kind.reserve(rows);
  keys.name.reserve(rows);
  keys.canon.reserve(rows);
  keys.joinable.reserve(rows);
  // Label files repeat the same workload on every time step: canonicalize each
  // distinct (kind, name) once.
  std::map<std::pair<std::string_view, std::string_view>, CanonicalWorkload>
      cache;
  for (size_t r = 0; r < rows; ++r) {
    keys.ns.push_back(NormalizeNamespace(ns.strings[r]));
    keys.kind.emplace_back(TrimAscii(kind.strings[r]));
    keys.name.emplace_back(TrimAscii(name.strings[r]));
    auto [it, fresh] = cache.try_emplace({kind.strings[r], name.strings[r]});
    if (fresh)
      it->second = CanonicalizeWorkload(kind.strings[r], name.strings[r]);
    keys.canon.push_back(it->second);
    keys.joinable.push_back(!ns.is_null(r) && !name.is_null(r));
  }
  return keys;
}

// Copies rows `take` of `from` into a new column named `name`.
void Gather(const Column& from, const std::vector<size_t>& take, Column& to) {
  switch (from.type) {
    case ColumnType::kString:
      for (size_t r : take) {
        to.AppendString(from.is_null(r)
                            ? std::nullopt
                            : std::optional<std::string_view>(from.strings[r]));
      }
      break;
    case ColumnType::kInt64:
      for (size_t r : take) {
        to.AppendInt64(from.is_null(r) ? std::nullopt
                                       : std::optional<int64_t>(from.ints[r]));
      }
      break;
    case ColumnType::kDouble:
      for (size_t r : take) {
        to.AppendDouble(from.is_null(r)
                            ? std::nullopt
                            : std::optional<double>(from.doubles[r]));
      }
      break;
    case ColumnType::kFloatList: {
      size_t total = 0;
      for (size_t r : take) total += from.list(r).size();
      to.float_values.reserve(total);
      for (size_t r : take) {
        to.AppendFloatList(
            from.is_null(r)
                ? std::nullopt
                : std::optional<std::span<const float>>(from.list(r)));
      }
      break;
    }
  }
}

void AppendStrings(const std::vector<std::string>& values,
                   const std::vector<size_t>& take, Column& to) {
  for (size_t r : take) to.AppendString(values[r]);
}

std::string Describe(const RowKeys& keys, size_t r) {
  std::string out = keys.ns[r] + "/" + keys.kind[r] + "/" + keys.name[r];
  if (keys.canon[r].name != keys.name[r] ||
      keys.canon[r].kind != keys.kind[r]) {
    out += " -> " + keys.canon[r].kind + "/" + keys.canon[r].name;
  }
  return out;
}

std::string Where(const Table& table, const char* fallback) {
  return table.source.empty() ? fallback : table.source;
}

void PrintDiagnostics(
    const RowKeys& fk, const RowKeys& lk,
    const std::unordered_map<Key, std::vector<size_t>, KeyHash>& feature_index,
    const std::set<std::pair<std::string, std::string>>& label_keys,
    const JoinStats& stats, std::ostream& out) {
  out << "join: 0 rows joined\n"
      << "  labels:   " << stats.label_rows << " rows, " << stats.label_keys
      << " distinct (namespace, canon_name)\n"
      << "  features: " << stats.feature_rows << " rows, " << stats.feature_keys
      << " distinct (namespace, canon_name)\n"
      << "  in both:  " << stats.matched_keys << "\n";
  auto examples = [&](const RowKeys& keys, auto&& unmatched) {
    std::set<std::string> seen;
    for (size_t r = 0; r < keys.ns.size() && seen.size() < kExamples; ++r) {
      if (!unmatched(r)) continue;
      const std::string d = Describe(keys, r);
      if (seen.insert(d).second) out << "    " << d << "\n";
    }
    if (seen.empty()) out << "    (none)\n";
  };
  out << "  labels without features (namespace/kind/name -> canonical):\n";
  examples(lk, [&](size_t r) {
    return !feature_index.contains(Key{lk.ns[r], lk.canon[r].name});
  });
  out << "  features without labels:\n";
  examples(fk, [&](size_t r) {
    return !label_keys.contains({fk.ns[r], fk.canon[r].name});
  });
  std::set<std::string> label_ns(lk.ns.begin(), lk.ns.end());
  std::set<std::string> feature_ns(fk.ns.begin(), fk.ns.end());
  bool shared_ns = false;
  for (const auto& ns : feature_ns) shared_ns |= label_ns.contains(ns);
  if (!shared_ns) {
    out << "  hint: no namespace is on both sides: are both files from the "
           "same cluster?\n";
  } else {
    out << "  hint: namespaces match but names do not: labels name pods, "
           "ReplicaSets and Jobs, features name workloads; names are compared "
           "after stripping ReplicaSet hashes (9+ hex), pod suffixes and "
           "CronJob schedules (docs/formats/join.md)\n";
  }
}

}  // namespace

Table JoinFeaturesLabels(const Table& features, const Table& labels,
                         std::ostream& diagnostics, JoinStats* stats_out) {
  const RowKeys fk = KeysOf(features);
  const Column& spec_hash = features.Require("_spec_hash", ColumnType::kString);
  const Column& vectors = features.Require("features", ColumnType::kFloatList);
  const RowKeys lk = KeysOf(labels);

  JoinStats stats;
  stats.label_rows = labels.rows();
  stats.feature_rows = features.rows();
  std::unordered_map<Key, std::vector<size_t>, KeyHash> feature_index;
  for (size_t r = 0; r < features.rows(); ++r) {
    if (fk.joinable[r])
      feature_index[Key{fk.ns[r], fk.canon[r].name}].push_back(r);
  }
  std::set<std::pair<std::string, std::string>> label_keys;
  for (size_t r = 0; r < labels.rows(); ++r) {
    if (lk.joinable[r]) label_keys.emplace(lk.ns[r], lk.canon[r].name);
  }
  stats.feature_keys = feature_index.size();
  stats.label_keys = label_keys.size();
  for (const auto& [ns, name] : label_keys) {
    stats.matched_keys += feature_index.contains(Key{ns, name});
  }

  std::vector<size_t> take_label, take_feature;
  for (size_t r = 0; r < labels.rows(); ++r) {
    if (!lk.joinable[r]) continue;
    auto it = feature_index.find(Key{lk.ns[r], lk.canon[r].name});
    if (it == feature_index.end()) continue;
    for (size_t f : it->second) {
      take_label.push_back(r);
      take_feature.push_back(f);
    }
  }
  stats.joined_rows = take_label.size();
  if (stats_out != nullptr) *stats_out = stats;
  if (take_label.empty()) {
    PrintDiagnostics(fk, lk, feature_index, label_keys, stats, diagnostics);
    throw Error(Where(features, "features") + " x " + Where(labels, "labels") +
                ": no rows joined on (namespace, canonical workload name)");
  }

  // Column plan: label columns in order (canon_* replaced in place if the
  // labels already had them), then canon_*, then the feature columns; a name
  // clash gets pandas' merge suffixes, as in the original's output.
  Table out;
  out.source = "";
  std::vector<std::string> names;
  for (const Column& c : labels.columns()) {
    if (c.name == "_spec_hash" || c.name == "features") {
      names.push_back(c.name + "_lab");
    } else {
      names.push_back(c.name);
    }
  }
  const bool has_canon_kind = labels.Find("canon_kind") != nullptr;
  const bool has_canon_name = labels.Find("canon_name") != nullptr;
  const bool clash_hash = labels.Find("_spec_hash") != nullptr;
  const bool clash_features = labels.Find("features") != nullptr;
  for (size_t c = 0; c < labels.columns().size(); ++c) {
    const Column& from = labels.columns()[c];
    const std::string& n = from.name;
    ColumnType type = from.type;
    if (n == "canon_kind" || n == "canon_name") type = ColumnType::kString;
    out.AddColumn(names[c], type);
  }
  if (!has_canon_kind) out.AddColumn("canon_kind", ColumnType::kString);
  if (!has_canon_name) out.AddColumn("canon_name", ColumnType::kString);
  out.AddColumn(clash_hash ? "_spec_hash_feat" : "_spec_hash",
                ColumnType::kString);
  out.AddColumn(clash_features ? "features_feat" : "features",
                ColumnType::kFloatList);
  // podpower's trait columns (encode transform writes them), when the
  // features have them and the labels do not.
  std::vector<const Column*> traits;
  for (const auto& [name, type] :
       {std::pair<const char*, ColumnType>{"cpu_cores", ColumnType::kDouble},
        {"gpus", ColumnType::kDouble},
        {"image_family", ColumnType::kString}}) {
    const Column* c = features.Find(name);
    if (c == nullptr || c->type != type || labels.Find(name) != nullptr)
      continue;
    traits.push_back(c);
    out.AddColumn(name, type);
  }

  std::vector<std::string> canon_kind, canon_name;
  canon_kind.reserve(labels.rows());
  canon_name.reserve(labels.rows());
  for (const CanonicalWorkload& w : lk.canon) {
    canon_kind.push_back(w.kind);
    canon_name.push_back(w.name);
  }
  // Fill (all columns exist now, so references stay valid).
  size_t oc = 0;
  for (const Column& from : labels.columns()) {
    Column& to = out.columns()[oc++];
    if (from.name == "namespace") {
      AppendStrings(lk.ns, take_label, to);
    } else if (from.name == "workload_kind") {
      AppendStrings(lk.kind, take_label, to);
    } else if (from.name == "workload_name") {
      AppendStrings(lk.name, take_label, to);
    } else if (from.name == "canon_kind") {
      AppendStrings(canon_kind, take_label, to);
    } else if (from.name == "canon_name") {
      AppendStrings(canon_name, take_label, to);
    } else {
      Gather(from, take_label, to);
    }
  }
  if (!has_canon_kind)
    AppendStrings(canon_kind, take_label, out.columns()[oc++]);
  if (!has_canon_name)
    AppendStrings(canon_name, take_label, out.columns()[oc++]);
  Gather(spec_hash, take_feature, out.columns()[oc++]);
  Gather(vectors, take_feature, out.columns()[oc++]);
  for (const Column* c : traits) Gather(*c, take_feature, out.columns()[oc++]);
  return out;
}

JoinStats JoinFeaturesLabelsFiles(const std::string& features_path,
                                  const std::string& labels_path,
                                  const std::string& out_path,
                                  std::ostream& diagnostics) {
  const Table features = io::ReadParquet(features_path);
  const Table labels = io::ReadParquet(labels_path);
  JoinStats stats;
  const Table joined =
      JoinFeaturesLabels(features, labels, diagnostics, &stats);
  io::WriteParquet(joined, out_path);
  return stats;
}

}  // namespace podpower::join
