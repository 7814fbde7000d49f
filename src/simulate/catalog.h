// The kinds of software a simulated cluster runs, each with a realistic spec
// (image, command, args, labels, requests, limits, replicas or Job shape) and
// the hidden power model its pods follow (docs/formats/simulate.md).
//
// The catalog is constant data; Catalog() returns a reference to a static
// vector, safe from any thread.
#ifndef PODPOWER_SIMULATE_CATALOG_H_
#define PODPOWER_SIMULATE_CATALOG_H_

#include <string>
#include <vector>

namespace podpower::simulate {

// How a pod's CPU utilisation moves over time.
enum class Pattern {
  kSteady,   // constant with noise
  kDiurnal,  // a daily sine: low at night, high in the afternoon
  kBursty,   // a low base with random bursts
  kBatch     // full work while the pod runs, then the pod ends
};

struct Template {
  std::string family;  // software family (the image's base name)
  std::string role;    // web, database, cache, queue, batch, ml, backup, ...
  std::string kind;    // Deployment, StatefulSet, DaemonSet, Job, CronJob
  std::vector<std::string> images;  // real image names with tags
  std::vector<std::string> command, args;
  int cpu_req_mcpu = 100, mem_req_mib = 128;  // per main container
  double limit_factor = 2;                    // limits = requests x this
  int replicas_min = 1, replicas_max = 1;     // pods (or Job parallelism)
  int gpus = 0;
  std::string schedule;    // CronJob only
  double run_minutes = 0;  // Job/CronJob pod run time
  bool sidecar = false;    // adds a log-shipping sidecar container
  bool init_container = false;
  std::vector<std::string> volume_types;
  // Hidden power model, per pod: watts = idle_w + core_w x request_cores x
  // util(t) + gpu_w x gpus x util(t), times (1 + noise).
  double idle_w = 2;
  double core_w = 8;
  double utilisation = 0.5;  // mean util of the requested CPU
  double gpu_w = 0;
  Pattern pattern = Pattern::kSteady;
  double noise = 0.05;  // relative per-sample noise (std)
};

const std::vector<Template>& Catalog();

std::string PatternName(Pattern pattern);

}  // namespace podpower::simulate

#endif  // PODPOWER_SIMULATE_CATALOG_H_
