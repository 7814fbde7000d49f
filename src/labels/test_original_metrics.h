// Test helper: the original's kepler_labels.parquet (examples/data/cluster-a|b)
// turned back into what its Prometheus held (OpenMetrics text for
// TestPrometheus): one Kepler 0.7 counter per pod whose increments are the
// original's energy_step_j at the original's timestamps, and kube_pod_owner
// series with the owners the original reported. Header-only; used by labels'
// join and partition integration tests.
#ifndef PODPOWER_LABELS_TEST_ORIGINAL_METRICS_H_
#define PODPOWER_LABELS_TEST_ORIGINAL_METRICS_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "io/table.h"

namespace podpower::labels::testing {

struct OriginalPodRows {
  std::string kind, name;
  std::vector<std::pair<double, std::optional<double>>>
      steps;  // ts, energy_step_j
};

// `*start`, `*end`: the first and last ts of `t`.
inline std::string OpenMetricsFromOriginal(const io::Table& t, double* start,
                                           double* end) {
  const auto& ts = t.Require("ts", io::ColumnType::kDouble);
  const auto& ns = t.Require("namespace", io::ColumnType::kString);
  const auto& kind = t.Require("workload_kind", io::ColumnType::kString);
  const auto& name = t.Require("workload_name", io::ColumnType::kString);
  const auto& pod = t.Require("pod", io::ColumnType::kString);
  const auto& energy = t.Require("energy_step_j", io::ColumnType::kDouble);
  std::map<std::pair<std::string, std::string>, OriginalPodRows> pods;
  *start = 1e300;
  *end = 0;
  for (size_t r = 0; r < t.rows(); ++r) {
    OriginalPodRows& p = pods[{ns.strings[r], pod.strings[r]}];
    // A pod first seen before its owner was known is reported as kind Pod; keep
    // the owner.
    if (p.kind.empty() || p.kind == "Pod") {
      p.kind = kind.strings[r];
      p.name = name.strings[r];
    }
    p.steps.emplace_back(ts.doubles[r], energy.is_null(r)
                                            ? std::nullopt
                                            : std::optional(energy.doubles[r]));
    *start = std::min(*start, ts.doubles[r]);
    *end = std::max(*end, ts.doubles[r]);
  }
  std::ostringstream om;
  om.precision(17);
  for (auto& [key, p] : pods) {
    std::sort(p.steps.begin(), p.steps.end());
    const auto& [namespace_, pod_name] = key;
    // Pods there from the start carry energy from before the range; new pods
    // count from 0.
    double counter = p.steps.front().first == *start ? 1000.0 : 0.0;
    for (const auto& [t, e] : p.steps) {
      counter += e.value_or(0.0);
      om << "kepler_container_joules_total{container_namespace=\"" << namespace_
         << "\",pod_name=\"" << pod_name
         << "\",container_name=\"main\",container_id=\"c-" << pod_name
         << "\",mode=\"dynamic\"} " << counter << " " << static_cast<int64_t>(t)
         << "\n";
    }
    std::string owner_kind = p.kind, owner_name = p.name;
    if (p.kind == "Pod") {
      owner_kind = owner_name = "";
    } else if (p.kind == "Deployment") {
      owner_kind = "ReplicaSet";  // the pod's ReplicaSet: its name without the
                                  // 5-char suffix
      owner_name = pod_name.substr(0, pod_name.rfind('-'));
    }
    for (const auto& step : p.steps) {
      om << "kube_pod_owner{namespace=\"" << namespace_ << "\",pod=\""
         << pod_name << "\",uid=\"\",owner_kind=\"" << owner_kind
         << "\",owner_name=\"" << owner_name << "\",owner_is_controller=\""
         << (owner_kind.empty() ? "" : "true") << "\"} 1 "
         << static_cast<int64_t>(step.first) << "\n";
    }
  }
  om << "# EOF\n";
  return om.str();
}

}  // namespace podpower::labels::testing

#endif  // PODPOWER_LABELS_TEST_ORIGINAL_METRICS_H_
