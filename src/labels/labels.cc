#include "labels/labels.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_set>

#include "io/error.h"
#include "io/parquet.h"
#include "io/progress.h"
#include "labels/energy_steps.h"
#include "labels/parquet_parts.h"
#include "prom/time_range.h"

namespace podpower::labels {
namespace {

// Length of the first request, before the number of series is known.
constexpr double kFirstChunkSeconds = 3600;
// kube-state-metrics owner series are read in windows of at most this many
// seconds.
constexpr double kOwnerWindow = 86400;
// Prometheus' default lookback: a counter sample is visible this long after it
// was taken.
constexpr double kLookback = 300;

// numpy.percentile's default (linear interpolation between closest ranks).
double Percentile(std::vector<float> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return static_cast<double>(values[lo]) +
         (static_cast<double>(values[hi]) - static_cast<double>(values[lo])) *
             frac;
}

// Per-pod accumulation for job mode.
struct JobStats {
  double first_seen = 0;
  bool seen = false;
  double last_present = 0;
  double last_positive = -1;
  double energy = 0;
  double elapsed_to_last_positive = 0;
  double elapsed = 0;
  int64_t steps = 0;
  int64_t steps_to_last_positive = 0;
  std::vector<float> powers;  // per counted step, W
  size_t powers_to_last_positive = 0;
};

std::string Where(const std::string& path, size_t line) {
  return path + ":" + std::to_string(line);
}

std::string JsonString(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string())
    throw Error(std::string("field '") + key + "': expected string");
  return it->get<std::string>();
}

// The controller among Kubernetes ownerReferences (or the first one when none
// is marked).
std::pair<std::string, std::string> ControllerRef(const nlohmann::json& refs) {
  std::pair<std::string, std::string> first;
  if (!refs.is_array()) return first;
  for (const auto& ref : refs) {
    if (!ref.is_object()) continue;
    std::pair<std::string, std::string> r{JsonString(ref, "kind"),
                                          JsonString(ref, "name")};
    auto c = ref.find("controller");
    if (c != ref.end() && c->is_boolean() && c->get<bool>()) return r;
    if (first.first.empty()) first = r;
  }
  return first;
}

}  // namespace

void LoadPodOwners(const std::string& path, OwnerIndex* index) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read pod ownership file");
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(Where(path, number) + ": not JSON: " + e.what());
    }
    if (!obj.is_object())
      throw Error(Where(path, number) + ": expected a JSON object");
    try {
      std::string kind = JsonString(obj, "kind");
      std::string ns, name, uid;
      std::pair<std::string, std::string> owner;
      if (obj.contains(
              "metadata")) {  // a Kubernetes object as the API returns it
        const auto& meta = obj["metadata"];
        if (!meta.is_object()) throw Error("field 'metadata': expected object");
        ns = JsonString(meta, "namespace");
        name = JsonString(meta, "name");
        uid = JsonString(meta, "uid");
        if (meta.contains("ownerReferences"))
          owner = ControllerRef(meta["ownerReferences"]);
      } else {
        ns = JsonString(obj, "namespace");
        name = obj.contains("pod") ? JsonString(obj, "pod")
                                   : JsonString(obj, "name");
        uid = JsonString(obj, "uid");
        if (obj.contains("workload_kind")) {
          owner = {JsonString(obj, "workload_kind"),
                   JsonString(obj, "workload_name")};
        } else if (obj.contains("owner_references")) {
          owner = ControllerRef(obj["owner_references"]);
        } else {
          owner = {JsonString(obj, "owner_kind"),
                   JsonString(obj, "owner_name")};
        }
      }
      if (name.empty())
        throw Error("field 'pod' (or metadata.name): expected the pod's name");
      if (kind == "ReplicaSet") {
        index->AddReplicaSetOwner(ns, name, owner.first, owner.second);
      } else if (kind == "Job") {
        index->AddJobOwner(ns, name, owner.first, owner.second);
      } else {
        index->AddApiPod(ns, name, uid, owner.first, owner.second);
      }
    } catch (const Error& e) {
      throw Error(Where(path, number) + ": " + e.what());
    }
  }
}

size_t LoadPromOwners(const prom::Client& client, double start, double end,
                      const std::vector<std::string>& /*namespaces*/,
                      OwnerIndex* index) {
  // Without honor_labels the scrape target's namespace/pod override
  // kube-state-metrics' own, which then appear as exported_namespace /
  // exported_pod.
  auto ns_of = [](const prom::Series& s) -> const std::string& {
    const std::string& exported = s.Label("exported_namespace");
    return exported.empty() ? s.Label("namespace") : exported;
  };
  size_t pod_series = 0;
  const double from = start - kLookback;
  for (double piece_end = end;; piece_end -= kOwnerWindow) {
    const double piece_start = std::max(from, piece_end - kOwnerWindow);
    std::string range = "[";
    range += prom::FormatDuration(std::max(1.0, piece_end - piece_start));
    range += ']';
    auto pods = client.Instant(
        "max by (namespace, exported_namespace, pod, exported_pod, uid, "
        "owner_kind, owner_name) "
        "(max_over_time(kube_pod_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : pods.series) {
      const std::string& exported_pod = s.Label("exported_pod");
      index->AddPodOwner(
          ns_of(s), exported_pod.empty() ? s.Label("pod") : exported_pod,
          s.Label("uid"), s.Label("owner_kind"), s.Label("owner_name"));
    }
    pod_series += pods.series.size();
    auto replicasets = client.Instant(
        "max by (namespace, exported_namespace, replicaset, owner_kind, "
        "owner_name) "
        "(max_over_time(kube_replicaset_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : replicasets.series) {
      index->AddReplicaSetOwner(ns_of(s), s.Label("replicaset"),
                                s.Label("owner_kind"), s.Label("owner_name"));
    }
    auto jobs = client.Instant(
        "max by (namespace, exported_namespace, job_name, owner_kind, "
        "owner_name) "
        "(max_over_time(kube_job_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : jobs.series) {
      index->AddJobOwner(ns_of(s), s.Label("job_name"), s.Label("owner_kind"),
                         s.Label("owner_name"));
    }
    if (piece_start <= from) break;
  }
  return pod_series;
}

namespace {

// Empties a table's rows in place (column pointers stay valid).
void ClearRows(io::Table& table) {
  for (io::Column& c : table.columns()) {
    c.strings.clear();
    c.ints.clear();
    c.doubles.clear();
    c.valid.clear();
  }
}

// The work of BuildLabels. In window mode, whenever at least `flush_rows` rows
// are buffered they are handed to `flush` and dropped from memory.
io::Table ProduceLabels(const LabelsOptions& options, LabelsSummary* summary,
                        size_t flush_rows,
                        const std::function<void(const io::Table&)>& flush) {
  if (options.step <= 0) throw Error("--step: expected a positive duration");
  if (options.end < options.start)
    throw Error("--end: must not be before --start");
  if (options.owner_source == OwnerSource::kK8s &&
      options.pod_owners_file.empty()) {
    throw Error(
        "--owner-source k8s: expected --pod-owners FILE (pod ownership "
        "NDJSON)");
  }
  LabelsSummary local;
  LabelsSummary& sum = summary ? *summary : local;
  prom::Client client(options.prom);

  EnergySelection selection;
  selection.schema =
      options.schema == KeplerSchema::kAuto
          ? DetectSchema(client, options.start - kLookback, options.end)
          : options.schema;
  selection.zone = options.zone;
  selection.mode = options.power_mode;
  selection.namespaces = options.namespaces;
  sum.schema = selection.schema;
  const std::string selector = EnergySelector(selection);

  OwnerIndex owners;
  if (options.owner_source == OwnerSource::kAuto ||
      options.owner_source == OwnerSource::kProm) {
    LoadPromOwners(client, options.start, options.end, options.namespaces,
                   &owners);
  }
  if (!options.pod_owners_file.empty())
    LoadPodOwners(options.pod_owners_file, &owners);

  std::unordered_set<std::string> pseudo;
  const KeplerSchema schema = selection.schema;
  EnergySteps steps(options.start, options.step, options.max_pod_watts,
                    [&](const prom::Series& s) -> std::optional<SeriesRef> {
                      auto ref = SeriesRefOf(schema, s);
                      if (!ref) {
                        std::string key;
                        for (const auto& [k, v] : s.labels)
                          key += k + "=" + v + ",";
                        pseudo.insert(key);
                      }
                      return ref;
                    });

  std::map<PodId, Workload> workloads;
  auto workload_of = [&](const PodId& pod) -> const Workload& {
    auto it = workloads.find(pod);
    if (it == workloads.end()) {
      it = workloads
               .emplace(pod, owners.Resolve(pod.namespace_, pod.pod, pod.uid,
                                            options.owner_source))
               .first;
      ++sum.owner_sources[it->second.source];
    }
    return it->second;
  };

  // Columns first, pointers after: AddColumn may move earlier columns.
  io::Table table;
  const bool window = options.mode == OutputMode::kWindow;
  using T = io::ColumnType;
  const std::vector<std::pair<const char*, T>> layout =
      window
          ? std::vector<std::pair<const char*, T>>{{"ts", T::kDouble},
                                                   {"namespace", T::kString},
                                                   {"workload_kind",
                                                    T::kString},
                                                   {"workload_name",
                                                    T::kString},
                                                   {"pod", T::kString},
                                                   {"avg_power_w", T::kDouble},
                                                   {"energy_step_j",
                                                    T::kDouble},
                                                   {"owner_source", T::kString}}
          : std::vector<std::pair<const char*, T>>{
                {"namespace", T::kString},      {"workload_kind", T::kString},
                {"workload_name", T::kString},  {"pod", T::kString},
                {"avg_power_w", T::kDouble},    {"p95_power_w", T::kDouble},
                {"total_energy_j", T::kDouble}, {"first_seen", T::kDouble},
                {"last_seen", T::kDouble},      {"samples", T::kInt64},
                {"owner_source", T::kString}};
  for (const auto& [name, type] : layout) table.AddColumn(name, type);
  io::Column* ts_col = table.Find("ts");
  io::Column& ns_col = *table.Find("namespace");
  io::Column& kind_col = *table.Find("workload_kind");
  io::Column& name_col = *table.Find("workload_name");
  io::Column& pod_col = *table.Find("pod");
  io::Column& power_col = *table.Find("avg_power_w");
  io::Column* energy_col = table.Find("energy_step_j");
  io::Column* p95_col = table.Find("p95_power_w");
  io::Column* total_col = table.Find("total_energy_j");
  io::Column* first_col = table.Find("first_seen");
  io::Column* last_col = table.Find("last_seen");
  io::Column* samples_col = table.Find("samples");
  io::Column& source_col = *table.Find("owner_source");

  std::map<PodId, JobStats> jobs;
  auto consume = [&](std::map<PodId, std::vector<PodStep>>&& finished) {
    if (window) {
      // Rows ordered by time, then namespace and pod, as the original wrote
      // them. `finished` is sorted by pod, so a pod's rank orders pods.
      struct Row {
        int64_t ts_ms;
        uint32_t rank;
        const PodStep* step;
      };
      std::vector<Row> rows;
      std::vector<std::pair<const PodId*, const Workload*>> by_rank;
      by_rank.reserve(finished.size());
      for (const auto& [pod, list] : finished) {
        const auto rank = static_cast<uint32_t>(by_rank.size());
        by_rank.emplace_back(&pod, &workload_of(pod));
        for (const auto& st : list) {
          rows.push_back({std::llround(st.ts * 1000.0), rank, &st});
        }
      }
      std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return a.ts_ms < b.ts_ms || (a.ts_ms == b.ts_ms && a.rank < b.rank);
      });
      for (const Row& row : rows) {
        const auto& [pod, w] = by_rank[row.rank];
        const PodStep* st = row.step;
        ts_col->AppendDouble(st->ts);
        ns_col.AppendString(pod->namespace_);
        kind_col.AppendString(w->kind);
        name_col.AppendString(w->name);
        pod_col.AppendString(pod->pod);
        if (st->energy_j && st->covered_s > 0) {
          power_col.AppendDouble(*st->energy_j / st->covered_s);
        } else {
          power_col.AppendDouble(std::nullopt);
        }
        energy_col->AppendDouble(st->energy_j);
        source_col.AppendString(w->source);
      }
      if (table.rows() >= flush_rows) {
        sum.rows += static_cast<int64_t>(table.rows());
        flush(table);
        ClearRows(table);
      }
      return;
    }
    for (const auto& [pod, list] : finished) {
      JobStats& j = jobs[pod];
      for (const auto& st : list) {
        if (!j.seen) {
          j.seen = true;
          j.first_seen = st.ts;
        }
        j.last_present = st.ts;
        if (!st.energy_j || st.covered_s <= 0) continue;
        j.energy += *st.energy_j;
        j.elapsed += st.covered_s;
        j.steps += 1;
        j.powers.push_back(static_cast<float>(*st.energy_j / st.covered_s));
        if (*st.energy_j > 0) {
          j.last_positive = st.ts;
          j.elapsed_to_last_positive = j.elapsed;
          j.steps_to_last_positive = j.steps;
          j.powers_to_last_positive = j.powers.size();
        }
      }
    }
  };

  // Pieces are sized from the sample rate seen so far, so one response stays
  // near max_samples_per_chunk samples whatever the number of pods.
  double samples_per_second = 0;
  const int64_t total_points =
      prom::GridPoints(options.start, options.end, options.step);
  io::Progress progress("labels: query steps",
                        static_cast<uint64_t>(total_points));
  double progressed_to = options.start;
  prom::SamplesChunked(
      client, selector, options.start - kLookback, options.start, options.end,
      options.step,
      [&]() -> double {
        if (samples_per_second <= 0) return kFirstChunkSeconds;
        return static_cast<double>(options.max_samples_per_chunk) /
               samples_per_second;
      },
      [&](double piece_start, double piece_end, prom::QueryResult&& result) {
        if (result.result_type != "matrix") {
          throw Error("prometheus query " + selector +
                      ": expected a matrix result, got '" + result.result_type +
                      "'");
        }
        size_t samples = 0;
        for (const auto& s : result.series) samples += s.samples.size();
        if (piece_end > piece_start && samples > 0) {
          samples_per_second =
              std::max(samples_per_second, static_cast<double>(samples) /
                                               (piece_end - piece_start));
        }
        steps.AddChunk(result.series);
        result.series.clear();
        result.series.shrink_to_fit();
        consume(steps.TakeSteps());
        ++sum.chunks;
        if (piece_end > progressed_to) {
          progress.Advance(static_cast<uint64_t>(
              prom::GridPoints(progressed_to, piece_end, options.step) - 1));
          progressed_to = piece_end;
        }
      });

  if (!window) {
    for (auto& [pod, j] : jobs) {
      const Workload& w = workload_of(pod);
      // A finished pod's counter stays visible, flat, for a while (lookback,
      // Kepler keeping dead containers); those trailing zero steps are not part
      // of its run.
      const bool any_positive = j.last_positive >= 0;
      const double elapsed =
          any_positive ? j.elapsed_to_last_positive : j.elapsed;
      const int64_t counted = any_positive ? j.steps_to_last_positive : j.steps;
      j.powers.resize(any_positive ? j.powers_to_last_positive
                                   : j.powers.size());
      ns_col.AppendString(pod.namespace_);
      kind_col.AppendString(w.kind);
      name_col.AppendString(w.name);
      pod_col.AppendString(pod.pod);
      power_col.AppendDouble(elapsed > 0
                                 ? std::optional<double>(j.energy / elapsed)
                                 : std::nullopt);
      p95_col->AppendDouble(
          j.powers.empty() ? std::nullopt
                           : std::optional<double>(Percentile(j.powers, 95)));
      total_col->AppendDouble(counted > 0 ? std::optional<double>(j.energy)
                                          : std::nullopt);
      first_col->AppendDouble(j.first_seen);
      last_col->AppendDouble(any_positive ? j.last_positive : j.last_present);
      samples_col->AppendInt64(counted);
      source_col.AppendString(w.source);
    }
  }

  sum.rows += static_cast<int64_t>(table.rows());
  sum.pods = static_cast<int64_t>(workloads.size());
  sum.series = steps.counts().counters;
  sum.spikes_dropped = steps.counts().spikes_dropped;
  sum.counter_resets = steps.counts().resets;
  sum.pseudo_series_dropped = static_cast<int64_t>(pseudo.size());
  return table;
}

}  // namespace

io::Table BuildLabels(const LabelsOptions& options, LabelsSummary* summary) {
  return ProduceLabels(options, summary, std::numeric_limits<size_t>::max(),
                       [](const io::Table&) {});
}

LabelsSummary RunLabels(const LabelsOptions& options) {
  if (options.out.empty()) {
    throw Error("--out: expected an output Parquet path");
  }
  // Fail before minutes of queries, not after.
  const std::filesystem::path parent =
      std::filesystem::absolute(options.out).parent_path();
  if (!std::filesystem::is_directory(parent)) {
    throw Error(options.out + ": cannot create output: folder " +
                parent.string() + " does not exist");
  }
  LabelsSummary summary;
  ParquetParts parts(options.out);
  io::Table last = ProduceLabels(
      options, &summary, std::max<size_t>(1, options.rows_per_part),
      [&](const io::Table& rows) { parts.Add(rows); });
  parts.Commit(last);
  return summary;
}

}  // namespace podpower::labels
