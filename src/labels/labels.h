// podpower labels: per-pod power labels from Kepler metrics in Prometheus,
// written as Parquet.
//
// Window mode writes one row per pod and query step, the original
// kepler_labels.py columns (ts, namespace, workload_kind, workload_name, pod,
// avg_power_w, energy_step_j) followed by owner_source. Job mode writes one row
// per pod: avg_power_w, p95_power_w, total_energy_j, first_seen, last_seen,
// samples, owner_source. Columns and rules: docs/formats/labels.md.
//
// Raw counter samples are fetched piece by piece (each at most 11,000 steps,
// shorter when there are many series, see
// LabelsOptions::max_samples_per_chunk); the next piece is fetched and parsed
// on a background thread (prefetch.h) while the current one is turned into
// rows, and RunLabels' window-mode rows stream into one Parquet COPY
// (window_writer.h), so memory stays bounded. Window mode first lists every
// pod of the range (one /api/v1/series request, index only), so the writer
// knows all pod strings before the first row; a pod whose samples arrive after
// that listing (a run whose end is close to now) is "late": its rows are
// dropped and counted (LabelsSummary::late_pods, late_rows_dropped). The output
// file is either complete or absent. Failures (server down after retries,
// Prometheus errors, no Kepler metrics) throw podpower::Error with one line;
// the background thread is stopped and joined on every path. One run per call;
// calls share no state.
#ifndef PODPOWER_LABELS_LABELS_H_
#define PODPOWER_LABELS_LABELS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "io/table.h"
#include "kube/kubeconfig.h"
#include "labels/kepler_schema.h"
#include "labels/owners.h"
#include "prom/client.h"

namespace podpower::labels {

enum class OutputMode { kWindow, kJob };

struct LabelsOptions {
  prom::ClientOptions prom;
  double start = 0;  // unix seconds
  double end = 0;
  double step = 60;
  OutputMode mode = OutputMode::kWindow;
  KeplerSchema schema = KeplerSchema::kAuto;
  std::string zone;  // "" = schema default
  PowerMode power_mode = PowerMode::kDynamic;
  std::vector<std::string> namespaces;
  OwnerSource owner_source = OwnerSource::kAuto;
  std::string
      pod_owners_file;  // Kubernetes API ownership NDJSON (owner source "k8s")
  // The API server for owner source "k8s" (labels/kube_owners.h): asked when
  // the source is "k8s" and no pod_owners_file is given, or when a kubeconfig
  // or context is named here (sources "k8s" and "auto").
  kube::KubeconfigOptions kube;
  double max_pod_watts =
      5000;  // steps above this are spikes: dropped and counted
  // Upper bound on samples (series x points) per request; chunks shrink to
  // respect it.
  int64_t max_samples_per_chunk = 2'000'000;
  // Parquet path, or a folder (ends with '/', or an existing folder): then
  // one file per UTC day, <out>/date=YYYY-MM-DD/labels.parquet, the day of
  // the row's ts (window mode) or first_seen (job mode); see RunLabels.
  std::string out;
  // Tests only: called in window mode with the listed pods (sorted) before
  // any row; a pod removed here is a late pod.
  std::function<void(std::vector<PodId>*)> on_pods_listed;
};

struct LabelsSummary {
  KeplerSchema schema = KeplerSchema::kAuto;
  int64_t rows = 0;
  int64_t pods = 0;
  int64_t chunks = 0;
  int64_t series = 0;
  int64_t pseudo_series_dropped = 0;  // system_processes / kernel_processes
  int64_t spikes_dropped = 0;
  int64_t counter_resets = 0;
  // Window mode: pods with rows that the up-front listing did not see (their
  // samples were ingested after it), and their rows, dropped.
  int64_t late_pods = 0;
  int64_t late_rows_dropped = 0;
  std::map<std::string, int64_t> owner_sources;  // pods per owner_source
  // Folder output: the days written ("YYYY-MM-DD", ascending).
  std::vector<std::string> partitions;
};

// Whether `out` names a partition folder (ends with '/' or is an existing
// folder) rather than one Parquet file.
bool IsPartitionFolder(const std::string& out);

// "YYYY-MM-DD": the UTC day of unix time `ts` (the partition of a row).
std::string UtcDay(double ts);

// Builds the labels table in memory without writing it (tests).
io::Table BuildLabels(const LabelsOptions& options, LabelsSummary* summary);

// The same rows as BuildLabels, written to options.out atomically (window
// mode streams them into a hidden temporary file next to options.out).
//
// Folder output (IsPartitionFolder): the folder is created when missing (its
// parent must exist), and each UTC day that has rows gets
// <out>/date=YYYY-MM-DD/labels.parquet, written like the single file (its
// rows in the same order, the same columns; `date` only in the folder name,
// as hive partitioning reads it). Window mode streams one day at a time
// (rows arrive in ts order; one open writer, so memory is that of the single
// file) into a temporary file in the day's folder, and renames every day's
// file into place only after the last row: a failed run replaces no day.
// Days without rows are left as they were, so runs over successive days
// append partitions, and a re-run over a day replaces that day's file (with
// only the rows of the new window). An `out` ending with '/' that is a file
// is an Error naming it.
LabelsSummary RunLabels(const LabelsOptions& options);

// Fills `index` from kube-state-metrics owner series over [start, end]. Returns
// the number of pod owner series found (0 = no kube-state-metrics in this
// Prometheus).
size_t LoadPromOwners(const prom::Client& client, double start, double end,
                      const std::vector<std::string>& namespaces,
                      OwnerIndex* index);

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_LABELS_H_
