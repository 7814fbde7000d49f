#include "labels/energy_steps.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace podpower::labels {
namespace {

int64_t Millis(double seconds) { return std::llround(seconds * 1000.0); }

}  // namespace

EnergySteps::EnergySteps(
    double range_start, double step, double max_pod_watts,
    std::function<std::optional<SeriesRef>(const prom::Series&)> ref_of)
    : start_ms_(Millis(range_start)),
      step_ms_(std::max<int64_t>(1, Millis(step))),
      max_pod_watts_(max_pod_watts),
      typical_interval_(step),
      ref_of_(std::move(ref_of)) {}

void EnergySteps::AddChunk(const std::vector<prom::Series>& series) {
  // Group copies of one counter (running/terminated twins, duplicate scrapes).
  struct Counter {
    PodId pod;
    std::vector<const prom::Series*> copies;
  };
  std::unordered_map<std::string, Counter> counters;
  counters.reserve(series.size());
  for (const prom::Series& s : series) {
    std::optional<SeriesRef> ref = ref_of_(s);
    if (!ref) continue;
    auto [it, inserted] = counters.try_emplace(std::move(ref->counter_key));
    if (inserted) it->second.pod = std::move(ref->pod);
    it->second.copies.push_back(&s);
  }
  // A counter's samples in time order: the series itself when it is the only
  // copy (Prometheus returns samples sorted), else the copies merged with the
  // highest value per timestamp.
  std::vector<prom::Sample> merged;
  auto samples_of = [&](const Counter& c) -> const std::vector<prom::Sample>& {
    if (c.copies.size() == 1) return c.copies.front()->samples;
    merged.clear();
    for (const prom::Series* s : c.copies) {
      merged.insert(merged.end(), s->samples.begin(), s->samples.end());
    }
    std::sort(merged.begin(), merged.end(),
              [](const prom::Sample& a, const prom::Sample& b) {
                return a.ts < b.ts || (a.ts == b.ts && a.value > b.value);
              });
    merged.erase(std::unique(merged.begin(), merged.end(),
                             [](const prom::Sample& a, const prom::Sample& b) {
                               return a.ts == b.ts;
                             }),
                 merged.end());
    return merged;
  };

  std::vector<double> first_intervals;
  for (const auto& [key, c] : counters) {
    const auto& v = c.copies.front()->samples;
    if (v.size() >= 2) first_intervals.push_back(v[1].ts - v[0].ts);
  }
  if (!first_intervals.empty()) {
    auto mid = first_intervals.begin() +
               static_cast<std::ptrdiff_t>(first_intervals.size() / 2);
    std::nth_element(first_intervals.begin(), mid, first_intervals.end());
    if (*mid > 0) typical_interval_ = *mid;
  }

  for (const auto& [key, c] : counters) {
    auto [st_it, fresh] = state_.try_emplace(key);
    CounterState& st = st_it->second;
    if (fresh) ++counts_.counters;
    bool have_state = !fresh;
    std::vector<Piece>& pieces = pending_[c.pod];
    Piece current;
    bool open = false;
    auto close = [&] {
      if (open) pieces.push_back(current);
      open = false;
    };
    const std::vector<prom::Sample>& samples = samples_of(c);
    for (size_t k = 0; k < samples.size(); ++k) {
      const prom::Sample& sample = samples[k];
      if (!std::isfinite(sample.value)) continue;
      if (have_state && sample.ts <= st.last_ts) continue;  // seen already
      const int64_t ts_ms = Millis(sample.ts);
      int64_t step_end = start_ms_;
      if (ts_ms > start_ms_) {
        step_end = start_ms_ +
                   (ts_ms - start_ms_ + step_ms_ - 1) / step_ms_ * step_ms_;
      }
      if (!open || current.step_ms != step_end) {
        close();
        current = Piece{step_end, 0, 0, false};
        open = true;
      }
      // At or before the range start a sample is only the baseline; the pod
      // still gets a row at the range start.
      if (ts_ms > start_ms_) {
        if (!have_state) {
          // Appeared inside the range: counts from zero. At 0 J the sample is
          // the counter's baseline (like one at the range start): no joules,
          // no seconds, so the step gets no energy from it.
          if (sample.value > 0) {
            current.energy += sample.value;
            current.covered += FirstSampleSeconds(samples, k);
            current.have_energy = true;
          }
        } else {
          double delta = sample.value - st.last_value;
          if (delta < 0) {
            ++counts_.resets;
            delta = sample.value;
          }
          current.energy += delta;
          current.covered += sample.ts - st.last_ts;
          current.have_energy = true;
        }
      }
      st.last_value = sample.value;
      st.last_ts = sample.ts;
      have_state = true;
    }
    close();
    if (pieces.empty()) pending_.erase(c.pod);
  }
}

double EnergySteps::FirstSampleSeconds(const std::vector<prom::Sample>& samples,
                                       size_t first) const {
  const prom::Sample& s0 = samples[first];
  for (size_t k = first + 1; k < samples.size(); ++k) {
    const prom::Sample& s1 = samples[k];
    if (!std::isfinite(s1.value)) continue;
    const double dt = s1.ts - s0.ts;
    if (dt <= 0) continue;
    // The next interval's joules, reset-safe like every delta.
    const double d1 = s1.value >= s0.value ? s1.value - s0.value : s1.value;
    // The previous scrape, about one interval before, did not see the
    // counter: it is at most that old. Within that bound, go back at the next
    // interval's watts to where the counter was zero (what increase() does
    // at a series' start).
    if (d1 <= 0) return dt;
    return std::min(dt, s0.value * dt / d1);
  }
  return typical_interval_;  // a single sample (in this piece)
}

std::map<PodId, std::vector<PodStep>> EnergySteps::TakeSteps() {
  std::map<PodId, std::vector<PodStep>> out;
  for (auto& [pod, pieces] : pending_) {
    // Counters of one pod were appended one after the other; a pod with one
    // counter (the common case) is in order already.
    auto by_step = [](const Piece& a, const Piece& b) {
      return a.step_ms < b.step_ms;
    };
    if (!std::is_sorted(pieces.begin(), pieces.end(), by_step)) {
      std::stable_sort(pieces.begin(), pieces.end(), by_step);
    }
    std::vector<PodStep> list;
    list.reserve(pieces.size());
    for (size_t i = 0; i < pieces.size();) {
      // Containers of one pod run side by side: the step's energy is their
      // sum, the seconds it covers the longest of theirs.
      Piece step = pieces[i];
      for (++i; i < pieces.size() && pieces[i].step_ms == step.step_ms; ++i) {
        step.energy += pieces[i].energy;
        step.covered = std::max(step.covered, pieces[i].covered);
        step.have_energy = step.have_energy || pieces[i].have_energy;
      }
      PodStep s;
      s.ts = static_cast<double>(step.step_ms) / 1000.0;
      if (step.have_energy) {
        if (step.covered > 0 && step.energy / step.covered > max_pod_watts_) {
          ++counts_.spikes_dropped;
          continue;
        }
        s.energy_j = step.energy;
        s.covered_s = step.covered;
      }
      list.push_back(s);
    }
    if (!list.empty()) out.emplace(pod, std::move(list));
  }
  pending_.clear();
  return out;
}

}  // namespace podpower::labels
