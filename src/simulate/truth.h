// Reading back `podpower simulate`'s truth_workloads.csv
// (docs/formats/simulate.md): per workload, its true mean watts per pod and
// the oracle's, so that evaluate can print how far a model is from the floor.
//
// Pure function of the file; safe from any thread.
#ifndef PODPOWER_SIMULATE_TRUTH_H_
#define PODPOWER_SIMULATE_TRUTH_H_

#include <map>
#include <string>
#include <tuple>

namespace podpower::simulate {

// (namespace, workload_kind, workload_name), as in InferenceRequest v1.
using WorkloadKey = std::tuple<std::string, std::string, std::string>;

struct WorkloadTruth {
  std::string family;  // the catalog entry (software family)
  int pods = 0;        // pods the workload ran in the window
  // Mean over its pods of (CPU + GPU joules) / seconds alive.
  double mean_watts_per_pod = 0;
  // The expectation of mean_watts_per_pod given the spec and the catalog
  // (CPU + GPU), and its part `podpower labels` sees with the simulated
  // Kepler schema (CPU only for v0.10).
  double oracle_watts_per_pod = 0;
  double oracle_label_watts_per_pod = 0;
};

// Reads truth_workloads.csv. Columns are found by their header names, so
// columns added later are ignored. Throws podpower::Error with "<path>:<line>"
// for an unreadable or empty file, a missing column (files written before the
// oracle columns existed lack them), a line with a different field count, a
// field that is not a finite number (pods: a positive integer) or a workload
// listed twice.
std::map<WorkloadKey, WorkloadTruth> ReadWorkloadTruth(const std::string& path);

}  // namespace podpower::simulate

#endif  // PODPOWER_SIMULATE_TRUTH_H_
