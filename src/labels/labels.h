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
// shorter when there are many series, see LabelsOptions::max_samples_per_chunk)
// and each piece is turned into rows before the next is fetched; window-mode
// rows go to disk in Parquet parts (parquet_parts.h), so memory stays bounded.
// The output file is either complete or absent. Failures (server down after
// retries, Prometheus errors, no Kepler metrics) throw podpower::Error with one
// line. Not thread-safe; one run per call.
#ifndef PODPOWER_LABELS_LABELS_H_
#define PODPOWER_LABELS_LABELS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/table.h"
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
  double max_pod_watts =
      5000;  // steps above this are spikes: dropped and counted
  // Upper bound on samples (series x points) per request; chunks shrink to
  // respect it.
  int64_t max_samples_per_chunk = 2'000'000;
  std::string out;  // Parquet path
  // RunLabels' window mode writes rows out in Parquet parts of this many rows
  // (merged at the end), so memory does not grow with the range.
  size_t rows_per_part = 1'000'000;
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
  std::map<std::string, int64_t> owner_sources;  // pods per owner_source
};

// Builds the labels table without writing it (tests and the CLI share this).
io::Table BuildLabels(const LabelsOptions& options, LabelsSummary* summary);

// BuildLabels, then writes options.out atomically.
LabelsSummary RunLabels(const LabelsOptions& options);

// Reads pod ownership NDJSON (flat records or Kubernetes Pod/ReplicaSet/Job
// objects) into `index`. Throws podpower::Error "<path>:<line>: ..." on
// malformed lines.
void LoadPodOwners(const std::string& path, OwnerIndex* index);

// Fills `index` from kube-state-metrics owner series over [start, end]. Returns
// the number of pod owner series found (0 = no kube-state-metrics in this
// Prometheus).
size_t LoadPromOwners(const prom::Client& client, double start, double end,
                      const std::vector<std::string>& namespaces,
                      OwnerIndex* index);

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_LABELS_H_
