// Per-pod energy per query step from raw cumulative joule samples, reset-safe.
//
// Kepler exports counters (joules since the container, pod or Kepler started).
// The original summed counters across containers before differencing them, so a
// container or Kepler restart became a negative or huge step. Here every
// counter is differenced on its own, on its raw samples, the way increase()
// treats it, and only then summed per pod:
//   - delta = v[k] - v[k-1] when the counter did not decrease;
//   - delta = v[k] when it decreased (a restart from zero);
//   - delta = v[k] for the first sample of a counter that appears after the
//     range start (a new container or pod counts from zero). Those joules
//     were drawn before the sample, since the counter started: they cover
//     v[k] / (the counter's watts over its next interval) seconds, at most
//     that interval (the scrape before did not see the counter); one typical
//     sample interval when there is no next sample in the chunk. At v[k] = 0
//     the sample covers nothing: it is the counter's baseline;
//   - samples at or before the range start only set the baseline.
// So a pod's seconds are those between its first and last sample (plus the
// back-extrapolated start when its first sample is above zero), never one
// interval more (dividing by samples x interval understated a pod seen at n
// samples by 1/n).
// Each delta belongs to the query step (g - step, g] that holds its sample; the
// step's watts are its joules over the seconds its deltas cover, so gaps and
// partial steps do not bias watts. The joules are never extrapolated: they are
// exactly the counters' increase. Series sharing a key (the rewrite's
// running/terminated twins, duplicate scrapes) are merged into one counter
// before differencing (max per timestamp). Steps above `max_pod_watts` are
// physically absurd (kepler#1344, #897) and are dropped and counted.
//
// Feed time-ordered chunks with AddChunk (samples already seen are ignored, so
// overlapping chunk edges are fine), take finished steps with TakeSteps. State
// is a few numbers per counter, so memory is bounded by the number of series
// plus one chunk. Not thread-safe.
#ifndef PODPOWER_LABELS_ENERGY_STEPS_H_
#define PODPOWER_LABELS_ENERGY_STEPS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "prom/response.h"

namespace podpower::labels {

// Who a series belongs to.
struct PodId {
  std::string namespace_;
  std::string pod;
  std::string uid;  // "" for the 0.7-era schema (it has no pod UID)
  auto operator<=>(const PodId&) const = default;
};

// A series' pod and the key of the counter it is a copy of.
struct SeriesRef {
  PodId pod;
  std::string counter_key;
};

// One pod's energy over the query step ending at `ts`.
struct PodStep {
  double ts = 0;  // on the grid: (ms(range_start) + k * ms(step)) / 1000
  // nullopt when the step holds only baselines: samples at the range start, a
  // new counter's first sample at 0 J.
  std::optional<double> energy_j;
  double covered_s = 0;  // seconds the energy covers (0 without energy)
};

struct StepCounts {
  int64_t resets = 0;          // counter decreases handled as restarts
  int64_t spikes_dropped = 0;  // pod steps over the ceiling
  int64_t counters = 0;        // distinct counters seen
};

class EnergySteps {
 public:
  // `ref_of` maps a series to its pod and counter, or nullopt to skip it
  // (pseudo-containers).
  EnergySteps(
      double range_start, double step, double max_pod_watts,
      std::function<std::optional<SeriesRef>(const prom::Series&)> ref_of);

  // Adds one chunk of raw samples (a matrix result). Chunks must come in time
  // order.
  void AddChunk(const std::vector<prom::Series>& series);

  // The steps of the chunks added so far, by pod, each pod's steps in time
  // order; clears them.
  std::map<PodId, std::vector<PodStep>> TakeSteps();

  const StepCounts& counts() const { return counts_; }

 private:
  struct CounterState {
    double last_value = 0;
    double last_ts = 0;
  };
  // One counter's contribution to one step of one pod.
  struct Piece {
    int64_t step_ms = 0;
    double energy = 0;
    double covered = 0;
    bool have_energy = false;
  };

  // Seconds covered by the joules of a new counter's first sample
  // samples[first] (value > 0); see the file comment.
  double FirstSampleSeconds(const std::vector<prom::Sample>& samples,
                            size_t first) const;

  int64_t start_ms_;
  int64_t step_ms_;
  double max_pod_watts_;
  double typical_interval_;
  std::function<std::optional<SeriesRef>(const prom::Series&)> ref_of_;
  std::unordered_map<std::string, CounterState> state_;
  // Pieces appended counter by counter; TakeSteps sorts and merges them.
  std::map<PodId, std::vector<Piece>> pending_;
  StepCounts counts_;
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_ENERGY_STEPS_H_
