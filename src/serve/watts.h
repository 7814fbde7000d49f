// Turning a model's prediction into watts per pod.
//
// Models predict their training target. avg_power_w already is watts.
// energy_step_j is joules per Prometheus query step, so watts = joules / step
// seconds; the model artifact does not record the step, so the server is told
// (--step-seconds, default 60: the original pipeline's step). total_energy_j
// (joules over a job's whole life) has no duration and cannot become watts.
// Pure functions; thread-safe.
#ifndef PODPOWER_SERVE_WATTS_H_
#define PODPOWER_SERVE_WATTS_H_

#include <optional>
#include <string>

namespace podpower::serve {

// Watts for one pod, or nullopt when `target` cannot be converted.
std::optional<double> WattsPerPod(double value, const std::string& target,
                                  double step_seconds);

// Watts formatted for an annotation: plain decimal, at most 3 decimals, no
// exponent ("12.5", "0.003", "1200").
std::string FormatWatts(double watts);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_WATTS_H_
