// `podpower simulate`: a synthetic cluster that goes through the real pipeline.
//
// Draws N workloads from the catalog (catalog.h) with a seeded generator, lays
// out their pods over H hours (Deployments/StatefulSets/DaemonSets run
// throughout; Jobs run waves of `parallelism` pods; CronJobs start a Job per
// schedule tick), evaluates each pod's hidden power model every scrape
// interval, and writes (docs/formats/simulate.md):
//   inference_requests.ndjson  the specs, InferenceRequest v1
//   manifests/<ns>.<name>.yaml the same workloads as Kubernetes YAML
//   kepler.om                  OpenMetrics for `promtool tsdb
//                              create-blocks-from openmetrics`: Kepler energy
//                              counters (v0.7 or v0.10 schema) and
//                              kube-state-metrics owner series
//   truth_pods.csv, truth_workloads.csv  the true watts, for checking, and
//                              each workload's oracle (the expected watts
//                              given its spec and the catalog)
//   simulation.json            the options and time range used
// Same options and seed give byte-identical files. Thread-compatible; throws
// podpower::Error on bad options or unwritable output (files are written
// atomically, one by one).
#ifndef PODPOWER_SIMULATE_SIMULATE_H_
#define PODPOWER_SIMULATE_SIMULATE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "io/inference_request.h"

namespace podpower::simulate {

struct SimulateOptions {
  int workloads = 60;
  double hours = 2;
  uint64_t seed = 1;
  std::string out_dir;
  std::string kepler_schema = "v0.7";  // or "v0.10"
  double scrape_seconds = 30;
  // Unix seconds of the first sample; 0 = the current time minus `hours`,
  // rounded down to the minute.
  int64_t start = 0;
  // How much a pod's busy cores follow its CPU request, in [0, 1]: busy cores
  // = coupling x request_cores + (1 - coupling) x a hidden per-workload core
  // count, times the utilisation. 1 = the request is the whole signal (as
  // before this option existed); 0 = the request says nothing about the work,
  // as in over-provisioned clusters.
  double request_coupling = 1;
  // Share of workloads, in [0, 1], whose containers carry no requests and no
  // limits at all (BestEffort pods; their busy cores are the hidden count
  // only). 0.2 by default (docs/formats/simulate.md says why); 0 gives the
  // same specs, Kepler series and pod truth as before the option existed.
  double no_request_share = 0.2;
};

// One simulated pod and its true energy.
struct PodTruth {
  std::string namespace_, workload_kind, workload_name, pod, uid, node;
  std::string family, pattern;
  int64_t start = 0, end = 0;  // first and last sample (unix seconds)
  double energy_j = 0;         // all energy (CPU + GPU) over [start, end]
  double gpu_energy_j = 0;
  double mean_watts() const {
    return end > start ? energy_j / static_cast<double>(end - start) : 0;
  }
};

struct Simulation {
  std::vector<io::InferenceRequest> requests;
  std::vector<std::string> families;  // per request
  // Per request: the expected mean watts of one of its pods given its spec and
  // the catalog, over the hidden draws (truth_workloads.csv's oracle columns);
  // `oracle_label_watts` is the part `podpower labels` sees with the schema
  // (CPU only for v0.10).
  std::vector<double> oracle_watts, oracle_label_watts;
  std::vector<PodTruth> pods;
  int64_t start = 0, end = 0;
};

// Writes every file into options.out_dir (created if missing) and returns what
// it simulated. Throws podpower::Error for workloads < 1, hours <= 0, a scrape
// interval outside [1, 3600] s, an unknown schema, a request coupling or
// no-request share outside [0, 1].
Simulation Simulate(const SimulateOptions& options, std::ostream& log);

}  // namespace podpower::simulate

#endif  // PODPOWER_SIMULATE_SIMULATE_H_
