// Which generation of Kepler metrics a Prometheus holds, and the selector that
// reads per-pod energy counters from it.
//
//   v0.7  (Kepler 0.6-0.9): kepler_container_joules_total{mode=dynamic|idle}
//         per container, labelled container_namespace / pod_name /
//         container_name / container_id; per-component
//         kepler_container_<zone>_joules_total. A pod is its containers' sum.
//   v0.10 (the 2025 rewrite): kepler_pod_cpu_joules_total{zone, state, pod_id,
//         pod_name, pod_namespace}; idle energy is never attributed to pods.
// The selector names raw counters; differencing happens per counter on the
// client (energy_steps.h), never after a sum. SeriesRefOf keys each series by
// the labels that identify a counter, so the rewrite's running/terminated twins
// and duplicate scrapes merge into one counter. Pure functions except
// DetectSchema (one HTTP call).
#ifndef PODPOWER_LABELS_KEPLER_SCHEMA_H_
#define PODPOWER_LABELS_KEPLER_SCHEMA_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "labels/energy_steps.h"
#include "prom/client.h"

namespace podpower::labels {

enum class KeplerSchema { kAuto, kV07, kV010 };
enum class PowerMode { kDynamic, kIdle, kTotal };

// "auto", "v0.7", "v0.10" (also "0.7", "v0.9", "v0.11" style aliases). Throws
// podpower::Error.
KeplerSchema ParseKeplerSchema(std::string_view text);
// "dynamic", "idle", "total". Throws podpower::Error.
PowerMode ParsePowerMode(std::string_view text);
const char* SchemaName(KeplerSchema schema);

struct EnergySelection {
  KeplerSchema schema = KeplerSchema::kV07;
  std::string zone;  // "" = schema default: v0.7 kepler_container_joules_total,
                     // v0.10 "package"
  PowerMode mode = PowerMode::kDynamic;
  std::vector<std::string> namespaces;  // empty = all
};

// The counters' series selector (no aggregation, no range). Throws
// podpower::Error for combinations the schema lacks (idle on v0.10, a malformed
// zone).
std::string EnergySelector(const EnergySelection& selection);

// A series of EnergySelector's result: its pod and counter key; nullopt for
// Kepler's pseudo-containers (system_processes, kernel_processes) and series
// without a pod.
std::optional<SeriesRef> SeriesRefOf(KeplerSchema schema,
                                     const prom::Series& series);

// Asks the server which Kepler metrics exist in [start, end]; prefers the
// rewrite when both do. Throws podpower::Error naming the URL and the metrics
// looked for when neither exists.
KeplerSchema DetectSchema(const prom::Client& client, double start, double end);

// `label=~"a|b"` with regex metacharacters escaped, or "" for no namespaces.
std::string NamespaceMatcher(const std::string& label,
                             const std::vector<std::string>& namespaces);

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_KEPLER_SCHEMA_H_
