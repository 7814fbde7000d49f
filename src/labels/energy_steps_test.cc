#include "labels/energy_steps.h"

#include <gtest/gtest.h>

#include <cmath>

namespace podpower::labels {
namespace {

prom::Series Counter(const std::string& pod, const std::string& container,
                     std::vector<std::pair<double, double>> samples) {
  prom::Series s;
  s.labels = {{"container", container}, {"pod", pod}};
  for (auto [t, v] : samples) s.samples.push_back({t, v});
  return s;
}

std::optional<SeriesRef> ByPodAndContainer(const prom::Series& s) {
  if (s.Label("pod") == "system_processes") return std::nullopt;
  return SeriesRef{PodId{"ns", s.Label("pod"), ""},
                   s.Label("pod") + "/" + s.Label("container")};
}

double Total(const std::vector<PodStep>& steps) {
  double sum = 0;
  for (const auto& s : steps) sum += s.energy_j.value_or(0);
  return sum;
}

TEST(EnergySteps, container_restart_in_one_pod_is_not_a_negative_step) {
  // Two containers of one pod: summing the counters first (the original) would
  // see 100+50 -> 110+0 = a drop of 40 J. Per counter: +10 and the restarted
  // one's +0.
  EnergySteps steps(0, 10, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("p", "a", {{0, 100}, {10, 110}, {20, 120}}),
                  Counter("p", "b", {{0, 50}, {10, 0}, {20, 5}})});
  auto out = steps.TakeSteps();
  ASSERT_EQ(out.size(), 1u);
  const auto& p = out.begin()->second;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_FALSE(p[0].energy_j) << "range start: baseline only";
  EXPECT_DOUBLE_EQ(*p[1].energy_j, 10 + 0);
  EXPECT_DOUBLE_EQ(*p[2].energy_j, 10 + 5);
  EXPECT_EQ(steps.counts().resets, 1);
}

TEST(EnergySteps, counter_appearing_inside_the_range_counts_from_zero) {
  EnergySteps steps(0, 30, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("old", "c", {{0, 1000}, {15, 1015}, {30, 1030}}),
                  Counter("new", "c", {{15, 15}, {30, 30}})});
  auto out = steps.TakeSteps();
  EXPECT_DOUBLE_EQ(Total(out[{"ns", "new", ""}]), 30);
  EXPECT_DOUBLE_EQ(Total(out[{"ns", "old", ""}]), 30);
  // Its first sample is taken to cover one typical interval (15 s), so watts
  // stay exact.
  const auto& s = out[{"ns", "new", ""}].back();
  EXPECT_DOUBLE_EQ(*s.energy_j / s.covered_s, 1.0);
}

TEST(EnergySteps, samples_belong_to_the_step_that_ends_at_or_after_them) {
  EnergySteps steps(100, 60, 1e9, ByPodAndContainer);
  steps.AddChunk(
      {Counter("p", "c", {{100, 0}, {130, 30}, {160, 60}, {161, 61}})});
  auto out = steps.TakeSteps();
  const auto& p = out.begin()->second;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p[1].ts, 160);
  EXPECT_DOUBLE_EQ(*p[1].energy_j, 60);
  EXPECT_DOUBLE_EQ(p[2].ts, 220);
  EXPECT_DOUBLE_EQ(*p[2].energy_j, 1);
  EXPECT_DOUBLE_EQ(p[2].covered_s, 1);
}

TEST(EnergySteps, overlapping_chunks_do_not_count_a_sample_twice) {
  // Prometheus 2.x returns a sample on a piece's left edge in both pieces.
  EnergySteps steps(0, 10, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("p", "c", {{0, 0}, {10, 10}})});
  steps.AddChunk({Counter("p", "c", {{10, 10}, {20, 20}})});
  auto out = steps.TakeSteps();
  EXPECT_DOUBLE_EQ(Total(out.begin()->second), 20);
}

TEST(EnergySteps, twins_with_one_key_merge_into_one_counter) {
  // Rewrite: running series up to t=20, then the terminated twin with the final
  // value.
  auto key_only = [](const prom::Series&) -> std::optional<SeriesRef> {
    return SeriesRef{PodId{"ns", "p", "uid"}, "same"};
  };
  EnergySteps steps(0, 10, 1e9, key_only);
  steps.AddChunk({Counter("p", "running", {{0, 0}, {10, 10}, {20, 20}}),
                  Counter("p", "terminated", {{30, 30}})});
  auto out = steps.TakeSteps();
  EXPECT_DOUBLE_EQ(Total(out.begin()->second), 30);
  EXPECT_EQ(steps.counts().counters, 1);
}

TEST(EnergySteps, spikes_over_the_ceiling_are_dropped_and_counted) {
  EnergySteps steps(0, 10, 100, ByPodAndContainer);
  steps.AddChunk(
      {Counter("p", "c", {{0, 0}, {10, 50}, {20, 1e6}, {30, 1e6 + 50}})});
  auto out = steps.TakeSteps();
  EXPECT_DOUBLE_EQ(Total(out.begin()->second), 100);
  EXPECT_EQ(steps.counts().spikes_dropped, 1);
}

TEST(EnergySteps, gap_energy_lands_in_the_returning_step_at_true_watts) {
  EnergySteps steps(0, 10, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("p", "c", {{0, 0}, {10, 20}, {50, 100}})});
  auto out = steps.TakeSteps();
  const auto& last = out.begin()->second.back();
  EXPECT_DOUBLE_EQ(last.ts, 50);
  EXPECT_DOUBLE_EQ(*last.energy_j, 80);
  EXPECT_DOUBLE_EQ(*last.energy_j / last.covered_s, 2);
}

TEST(EnergySteps, skipped_series_and_nan_samples_are_ignored) {
  EnergySteps steps(0, 10, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("system_processes", "c", {{0, 0}, {10, 1000}}),
                  Counter("p", "c", {{0, 0}, {10, std::nan("")}, {20, 20}})});
  auto out = steps.TakeSteps();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(Total(out.begin()->second), 20);
}

}  // namespace
}  // namespace podpower::labels
