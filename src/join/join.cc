#include "join/join.h"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/atomic_file.h"
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
      to.AppendRows(from, take_label);
    }
  }
  if (!has_canon_kind)
    AppendStrings(canon_kind, take_label, out.columns()[oc++]);
  if (!has_canon_name)
    AppendStrings(canon_name, take_label, out.columns()[oc++]);
  out.columns()[oc++].AppendRows(spec_hash, take_feature);
  out.columns()[oc++].AppendRows(vectors, take_feature);
  for (const Column* c : traits)
    out.columns()[oc++].AppendRows(*c, take_feature);
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

Layout ParseLayout(const std::string& text, const std::string& flag) {
  if (text == "aggregated") return Layout::kAggregated;
  if (text == "wide") return Layout::kWide;
  throw Error(flag + ": expected aggregated or wide, got '" + text + "'");
}

namespace {

// The label statistics the aggregated layout keeps, in this order; the first
// one present also orders the rows (see OrderTarget).
constexpr const char* kTargets[] = {"energy_step_j", "total_energy_j",
                                    "avg_power_w"};

bool IsNumericType(const std::string& t) {
  return t == "FLOAT" || t == "DOUBLE" || t.starts_with("DECIMAL") ||
         t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" ||
         t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" ||
         t == "UBIGINT";
}

std::string Ident(const std::string& name) { return "\"" + name + "\""; }

// Removes the default spill folder on every way out (DuckDB deletes its own
// files when the database closes; the folder it made stays).
struct SpillFolder {
  std::string path;
  bool owned = false;
  ~SpillFolder() {
    if (!owned) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

namespace {

JoinStats JoinAggregated(const std::string& features_path,
                         const std::string& labels_path,
                         const std::string& out_path,
                         const JoinOptions& options,
                         std::ostream& diagnostics) {
  const Table features = io::ReadParquetInput(features_path);
  const io::ParquetInput labels_in = io::ExpandParquetInput(labels_path);
  io::AtomicFile file(out_path);
  SpillFolder spill;
  if (options.spill_dir.empty()) {
    // Beside the output (the output's disk, not a RAM-backed /tmp), named
    // after this writer's temporary file: hidden, unique per process, and
    // recognizable as a temporary by its marker.
    spill.path = file.temp_path() + ".spill";
    spill.owned = true;
  } else {
    spill.path = options.spill_dir;
  }
  io::DuckDbSession db(
      labels_path,
      io::DuckDbLimits{options.memory_limit, spill.path, options.threads});

  // Label columns: the keys are required, the targets and ts are kept when
  // present and numeric; everything else is left out of this layout.
  const std::string source =
      io::ParquetInputSql(labels_in, "filename = true, file_row_number = true");
  const Table schema =
      db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " +
                   source + ")",
               labels_path);
  std::map<std::string, std::string> type_of;
  for (size_t r = 0; r < schema.rows(); ++r)
    type_of[schema.columns()[0].strings[r]] = schema.columns()[1].strings[r];
  for (const char* key : {"namespace", "workload_kind", "workload_name"}) {
    auto it = type_of.find(key);
    if (it == type_of.end()) {
      throw Error(labels_path + ": column '" + key +
                  "' missing (expected VARCHAR)");
    }
    if (it->second != "VARCHAR") {
      throw Error(labels_path + ": column '" + key + "' is " + it->second +
                  ", expected VARCHAR");
    }
  }
  std::vector<std::string> targets;
  for (const char* t : kTargets) {
    auto it = type_of.find(t);
    if (it != type_of.end() && IsNumericType(it->second))
      targets.emplace_back(t);
  }
  if (targets.empty()) {
    throw Error(labels_path +
                ": no label column (energy_step_j, total_energy_j or "
                "avg_power_w, numeric) to aggregate; --layout wide carries "
                "any columns");
  }
  const bool has_ts = type_of.contains("ts") && IsNumericType(type_of.at("ts"));

  // Global position of a label row: file index in the high bits, so rows
  // order as the files are listed, then by row.
  std::string pos = "file_row_number";
  std::string from = source;
  if (labels_in.files.size() > 1) {
    Table files;
    files.AddColumn("filename", io::ColumnType::kString);
    files.AddColumn("idx", io::ColumnType::kInt64);
    for (size_t i = 0; i < labels_in.files.size(); ++i) {
      files.columns()[0].AppendString(labels_in.files[i]);
      files.columns()[1].AppendInt64(static_cast<int64_t>(i));
    }
    db.CreateTable("_files", files, "label files");
    from = "(SELECT l.*, (f.idx << 40) + l.file_row_number AS _pos FROM " +
           source + " l JOIN _files f ON l.filename = f.filename)";
    pos = "_pos";
  } else {
    from = "(SELECT *, file_row_number AS _pos FROM " + source + ")";
  }
  db.Execute("CREATE VIEW lab AS SELECT * FROM " + from, "labels");

  // Distinct raw keys in first-occurrence order: canonicalized here (a few
  // per workload, not per row).
  const Table label_keys_table = db.Query(
      "SELECT namespace, workload_kind, workload_name, count(*)::BIGINT AS n "
      "FROM lab GROUP BY ALL ORDER BY min(_pos)",
      labels_path);
  const RowKeys lk = KeysOf(label_keys_table);
  const RowKeys fk = KeysOf(features);
  const Column& spec_hash = features.Require("_spec_hash", ColumnType::kString);
  const Column& vectors = features.Require("features", ColumnType::kFloatList);

  JoinStats stats;
  for (int64_t n : label_keys_table.columns()[3].ints) stats.label_rows += n;
  stats.feature_rows = features.rows();
  std::unordered_map<Key, std::vector<size_t>, KeyHash> feature_index;
  for (size_t r = 0; r < features.rows(); ++r) {
    if (fk.joinable[r])
      feature_index[Key{fk.ns[r], fk.canon[r].name}].push_back(r);
  }
  std::set<std::pair<std::string, std::string>> label_keys;
  for (size_t r = 0; r < lk.ns.size(); ++r) {
    if (lk.joinable[r]) label_keys.emplace(lk.ns[r], lk.canon[r].name);
  }
  stats.feature_keys = feature_index.size();
  stats.label_keys = label_keys.size();
  for (const auto& [ns, name] : label_keys)
    stats.matched_keys += feature_index.contains(Key{ns, name});

  // Feature rows with the same spec hash and vector are one point (train
  // --aggregate's key has both): the first such row stands for them.
  std::map<std::pair<std::string, std::string>, size_t> point_of;
  std::vector<size_t> point(features.rows());
  for (size_t r = 0; r < features.rows(); ++r) {
    const auto f = vectors.list(r);
    std::string bytes =
        vectors.is_null(r)
            ? std::string("\x01null")
            : std::string(reinterpret_cast<const char*>(f.data()),
                          f.size() * sizeof(float));
    point[r] = point_of
                   .try_emplace({spec_hash.is_null(r)
                                     ? std::string("\x01null")
                                     : std::string(spec_hash.strings[r]),
                                 std::move(bytes)},
                                r)
                   .first->second;
  }

  // Groups: (normalized label key, feature point). A raw label key maps to
  // each of its groups once: a point repeated in the features (the same spec
  // encoded twice) repeats the label rows in the wide layout, which changes
  // neither the mean nor the spread, only the rounding of the sum (and
  // joined_rows counts the repeats, as the wide layout would).
  using GroupKey = std::tuple<std::string, std::string, std::string, size_t>;
  std::map<GroupKey, int64_t> gid_of;
  std::vector<size_t> group_label_key, group_frow;
  Table lmap;
  lmap.AddColumn("namespace", ColumnType::kString);
  lmap.AddColumn("workload_kind", ColumnType::kString);
  lmap.AddColumn("workload_name", ColumnType::kString);
  lmap.AddColumn("gid", ColumnType::kInt64);
  const Column& raw_ns = label_keys_table.columns()[0];
  const Column& raw_kind = label_keys_table.columns()[1];
  const Column& raw_name = label_keys_table.columns()[2];
  for (size_t r = 0; r < lk.ns.size(); ++r) {
    if (!lk.joinable[r]) continue;
    auto it = feature_index.find(Key{lk.ns[r], lk.canon[r].name});
    if (it == feature_index.end()) continue;
    std::set<int64_t> mapped;
    for (size_t f : it->second) {
      stats.joined_rows +=
          static_cast<size_t>(label_keys_table.columns()[3].ints[r]);
      if (vectors.is_null(f)) {
        throw Error(Where(features, "features") + ": row " + std::to_string(f) +
                    ": column 'features' is NULL (expected FLOAT[])");
      }
      auto [g, added] = gid_of.try_emplace(
          GroupKey{lk.ns[r], lk.kind[r], lk.name[r], point[f]},
          static_cast<int64_t>(group_frow.size()));
      if (added) {
        group_label_key.push_back(r);
        group_frow.push_back(f);
      }
      if (!mapped.insert(g->second).second) continue;
      lmap.columns()[0].AppendString(std::string_view(raw_ns.strings[r]));
      lmap.columns()[1].AppendString(
          raw_kind.is_null(r)
              ? std::nullopt
              : std::optional<std::string_view>(raw_kind.strings[r]));
      lmap.columns()[2].AppendString(std::string_view(raw_name.strings[r]));
      lmap.columns()[3].AppendInt64(g->second);
    }
  }
  if (lmap.rows() == 0) {
    PrintDiagnostics(fk, lk, feature_index, label_keys, stats, diagnostics);
    throw Error(Where(features, "features") + " x " + labels_path +
                ": no rows joined on (namespace, canonical workload name)");
  }
  db.CreateTable("lmap", lmap, "label keys");

  // One row per group: keys, canonical names, the feature row's columns.
  Table groups;
  for (const char* c : {"namespace", "workload_kind", "workload_name",
                        "canon_kind", "canon_name"}) {
    groups.AddColumn(c, ColumnType::kString);
  }
  groups.AddColumn("gid", ColumnType::kInt64);
  groups.AddColumn("_frow", ColumnType::kInt64);
  for (size_t g = 0; g < group_frow.size(); ++g) {
    const size_t r = group_label_key[g];
    groups.columns()[0].AppendString(std::string_view(lk.ns[r]));
    groups.columns()[1].AppendString(std::string_view(lk.kind[r]));
    groups.columns()[2].AppendString(std::string_view(lk.name[r]));
    groups.columns()[3].AppendString(std::string_view(lk.canon[r].kind));
    groups.columns()[4].AppendString(std::string_view(lk.canon[r].name));
    groups.columns()[5].AppendInt64(static_cast<int64_t>(g));
    groups.columns()[6].AppendInt64(static_cast<int64_t>(group_frow[g]));
  }
  groups.AddColumn("_spec_hash", ColumnType::kString);
  groups.AddColumn("features", ColumnType::kFloatList);
  groups.columns()[7].AppendRows(spec_hash, group_frow);
  groups.columns()[8].AppendRows(vectors, group_frow);
  std::vector<std::string> trait_names;
  for (const auto& [name, type] :
       {std::pair<const char*, ColumnType>{"cpu_cores", ColumnType::kDouble},
        {"gpus", ColumnType::kDouble},
        {"image_family", ColumnType::kString}}) {
    const Column* c = features.Find(name);
    if (c == nullptr || c->type != type || type_of.contains(name)) continue;
    Column& to = groups.AddColumn(name, type);
    to.AppendRows(*c, group_frow);
    trait_names.emplace_back(name);
  }
  db.CreateTable("groups", groups, "groups");

  // The out-of-core part: labels stream through the key join into a GROUP BY
  // with constant state per group. Sums (not avg) so the mean is computed as
  // train --aggregate computes it: a running sum in row order, over count.
  std::string select =
      "SELECT m.gid, count(*)::BIGINT AS label_rows, min(l._pos) AS _any_pos";
  const std::string order_x =
      "CAST(l." + Ident(targets.front()) + " AS DOUBLE)";
  select +=
      ", min(l._pos) FILTER (WHERE isfinite(" + order_x + ")) AS _first_pos";
  if (has_ts) {
    select +=
        ", min(CAST(l.ts AS DOUBLE)) AS ts_first, max(CAST(l.ts AS DOUBLE)) "
        "AS ts_last";
  }
  for (const std::string& t : targets) {
    const std::string x = "CAST(l." + Ident(t) + " AS DOUBLE)";
    const std::string finite = " FILTER (WHERE isfinite(" + x + "))";
    select += ", sum(" + x + ")" + finite + " AS " + Ident(t + "_sum") +
              ", count(" + x + ")" + finite + "::BIGINT AS " + Ident(t + "_n") +
              ", stddev_pop(" + x + ")" + finite + " AS " + Ident(t + "_std");
  }
  select +=
      " FROM lab l JOIN lmap m ON l.namespace = m.namespace AND "
      "l.workload_name = m.workload_name AND l.workload_kind IS NOT DISTINCT "
      "FROM m.workload_kind GROUP BY m.gid";
  db.Execute("CREATE TABLE agg AS " + select, "aggregating labels");

  std::string out_sql =
      "SELECT g.namespace, g.workload_kind, g.workload_name, g.canon_kind, "
      "g.canon_name, g._spec_hash, g.features";
  for (const std::string& t : trait_names) out_sql += ", g." + Ident(t);
  out_sql += ", a.label_rows";
  if (has_ts) out_sql += ", a.ts_first, a.ts_last";
  for (const std::string& t : targets) {
    out_sql += ", CASE WHEN a." + Ident(t + "_n") + " > 0 THEN a." +
               Ident(t + "_sum") + " / a." + Ident(t + "_n") + " END AS " +
               Ident(t) + ", a." + Ident(t + "_n") + ", a." + Ident(t + "_std");
  }
  out_sql +=
      " FROM agg a JOIN groups g ON a.gid = g.gid ORDER BY a._first_pos "
      "NULLS LAST, a._any_pos, g._frow";
  // USE_TMP_FILE false: the target is already AtomicFile's temporary.
  db.Execute("COPY (" + out_sql + ") TO " + io::SqlString(file.temp_path()) +
                 " (FORMAT parquet, USE_TMP_FILE false)",
             "writing " + out_path);
  const Table counts =
      db.Query("SELECT count(*)::BIGINT FROM agg", labels_path);
  stats.output_rows = static_cast<size_t>(counts.columns()[0].ints[0]);
  file.Commit();
  return stats;
}

}  // namespace

JoinStats JoinFiles(const std::string& features_path,
                    const std::string& labels_path, const std::string& out_path,
                    const JoinOptions& options, std::ostream& diagnostics) {
  if (options.layout == Layout::kAggregated) {
    return JoinAggregated(features_path, labels_path, out_path, options,
                          diagnostics);
  }
  const Table features = io::ReadParquetInput(features_path);
  const Table labels = io::ReadParquetInput(labels_path);
  JoinStats stats;
  const Table joined =
      JoinFeaturesLabels(features, labels, diagnostics, &stats);
  stats.output_rows = stats.joined_rows;
  io::WriteParquet(joined, out_path);
  return stats;
}

}  // namespace podpower::join
