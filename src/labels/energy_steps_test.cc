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
  // Its first sample's 15 J cover 15 J / 1 W = 15 s, so watts stay exact.
  const auto& s = out[{"ns", "new", ""}].back();
  EXPECT_DOUBLE_EQ(*s.energy_j / s.covered_s, 1.0);
}

TEST(EnergySteps, new_counter_at_zero_joules_is_a_baseline_not_a_step) {
  // A pod that starts at t=60 with its counter at 0 J (Kepler's counters start
  // with the container), 3 W for 5 minutes: 900 J over exactly 300 s. Giving
  // the 0 J sample a step of its own (0 J over one interval) made that 900 J
  // over 360 s, 2.5 W.
  EnergySteps steps(0, 60, 1e9, ByPodAndContainer);
  std::vector<std::pair<double, double>> samples;
  for (int k = 0; k <= 5; ++k) samples.push_back({60.0 + 60 * k, 180.0 * k});
  steps.AddChunk({Counter("p", "c", samples)});
  auto out = steps.TakeSteps();
  const auto& p = out[{"ns", "p", ""}];
  ASSERT_EQ(p.size(), 6u);
  EXPECT_DOUBLE_EQ(p[0].ts, 60);
  EXPECT_FALSE(p[0].energy_j) << "first sample at 0 J: baseline only";
  EXPECT_EQ(p[0].covered_s, 0);
  double joules = 0, seconds = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    ASSERT_TRUE(p[i].energy_j);
    EXPECT_DOUBLE_EQ(*p[i].energy_j / p[i].covered_s, 3.0);
    joules += *p[i].energy_j;
    seconds += p[i].covered_s;
  }
  EXPECT_DOUBLE_EQ(joules, 900);
  EXPECT_DOUBLE_EQ(seconds, 300);
}

TEST(EnergySteps, new_counter_above_zero_covers_back_to_its_start) {
  // Started 10 s before its first sample at 2 W: 20 J at t=30, then 2 W.
  // The 20 J cover 20 / 2 W = 10 s, not a whole interval.
  EnergySteps steps(0, 60, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("p", "c", {{30, 20}, {60, 80}, {90, 140}})});
  auto out = steps.TakeSteps();
  const auto& p = out[{"ns", "p", ""}];
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(*p[0].energy_j, 80);
  EXPECT_DOUBLE_EQ(p[0].covered_s, 40);
  EXPECT_DOUBLE_EQ(*p[1].energy_j, 60);
  EXPECT_DOUBLE_EQ(p[1].covered_s, 30);
  // Never older than one interval (the scrape before did not see it), and an
  // idle next interval gives no rate to go back with: one interval.
  EnergySteps capped(0, 60, 1e9, ByPodAndContainer);
  capped.AddChunk({Counter("big", "c", {{30, 500}, {60, 530}}),
                   Counter("idle", "c", {{30, 40}, {60, 40}})});
  auto c = capped.TakeSteps();
  const PodId big{"ns", "big", ""}, idle{"ns", "idle", ""};
  EXPECT_DOUBLE_EQ(c[big][0].covered_s, 30 + 30);
  EXPECT_DOUBLE_EQ(c[idle][0].covered_s, 30 + 30);
}

TEST(EnergySteps, pod_seen_at_a_single_sample) {
  EnergySteps steps(0, 60, 1e9, ByPodAndContainer);
  steps.AddChunk({Counter("old", "c", {{0, 0}, {15, 15}, {30, 30}}),
                  Counter("zero", "c", {{30, 0}}),
                  Counter("some", "c", {{30, 45}})});
  auto out = steps.TakeSteps();
  // At 0 J: seen, but no energy and no seconds.
  const auto& zero = out[PodId{"ns", "zero", ""}];
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_FALSE(zero[0].energy_j);
  // Above 0 J: its joules over one typical interval (15 s here), the lowest
  // watts it can have had.
  const auto& some = out[PodId{"ns", "some", ""}];
  ASSERT_EQ(some.size(), 1u);
  EXPECT_DOUBLE_EQ(*some[0].energy_j, 45);
  EXPECT_DOUBLE_EQ(some[0].covered_s, 15);
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
