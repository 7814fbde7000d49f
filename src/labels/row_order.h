// Window-mode row order: by step end, then by pod, the order the original
// kepler_labels.py wrote and podpower keeps.
//
// EmitInOrder takes one batch of finished steps (EnergySteps::TakeSteps) as
// per-pod lists, the pods in their output order (rank), each list in time
// order, and calls `emit(rank, step)` once per step in output order. It sorts
// nothing in the usual case (most pods have a step at most grid points): one
// cursor per pod, step by step; sparse batches (many short-lived pods) use a
// stable counting sort by step. Time and memory are linear in the steps.
// Throws podpower::Error only on an internal inconsistency (a step end off the
// grid start + k*step, which EnergySteps never produces). Pure function of its
// arguments; thread-compatible.
#ifndef PODPOWER_LABELS_ROW_ORDER_H_
#define PODPOWER_LABELS_ROW_ORDER_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "io/error.h"
#include "labels/energy_steps.h"

namespace podpower::labels {

template <typename Emit>
void EmitInOrder(const std::vector<const std::vector<PodStep>*>& lists,
                 double step, const Emit& emit) {
  // llround without the libm call; step ends are whole milliseconds, so the
  // product is always within a rounding error of an integer.
  auto ms_of = [](const PodStep& st) -> int64_t {
    const double ms = st.ts * 1000.0;
    return static_cast<int64_t>(ms < 0 ? ms - 0.5 : ms + 0.5);
  };
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  size_t total = 0;
  for (const auto* list : lists) {
    if (list->empty()) continue;
    lo = std::min(lo, ms_of(list->front()));
    hi = std::max(hi, ms_of(list->back()));
    total += list->size();
  }
  if (total == 0) return;
  const int64_t step_ms = std::max<int64_t>(1, std::llround(step * 1000.0));
  const auto buckets = static_cast<size_t>((hi - lo) / step_ms) + 1;
  if (buckets * lists.size() <= 2 * total) {
    std::vector<size_t> cursor(lists.size(), 0);
    size_t emitted = 0;
    for (size_t b = 0; b < buckets; ++b) {
      const int64_t ms = lo + static_cast<int64_t>(b) * step_ms;
      for (size_t r = 0; r < lists.size(); ++r) {
        const std::vector<PodStep>& list = *lists[r];
        const size_t c = cursor[r];
        if (c >= list.size()) continue;
        // One stream per pod is too many for the hardware prefetcher.
        __builtin_prefetch(list.data() + std::min(c + 4, list.size() - 1));
        if (ms_of(list[c]) == ms) {
          emit(static_cast<uint32_t>(r), list[c]);
          cursor[r] = c + 1;
          ++emitted;
        }
      }
    }
    // Cannot happen (the grid is EnergySteps' own); a row must never vanish.
    if (emitted != total)
      throw Error("labels: internal error: a step off the query grid");
    return;
  }
  std::vector<size_t> first(buckets + 1, 0);
  for (const auto* list : lists) {
    for (const PodStep& st : *list)
      ++first[static_cast<size_t>((ms_of(st) - lo) / step_ms) + 1];
  }
  for (size_t b = 1; b < first.size(); ++b) first[b] += first[b - 1];
  std::vector<std::pair<uint32_t, const PodStep*>> out(total);
  for (size_t r = 0; r < lists.size(); ++r) {
    for (const PodStep& st : *lists[r]) {
      out[first[static_cast<size_t>((ms_of(st) - lo) / step_ms)]++] = {
          static_cast<uint32_t>(r), &st};
    }
  }
  for (const auto& [rank, st] : out) emit(rank, *st);
}

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_ROW_ORDER_H_
