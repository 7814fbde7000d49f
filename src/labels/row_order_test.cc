#include "labels/row_order.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

namespace podpower::labels {
namespace {

// The order by definition: a comparison sort on (step end, rank).
std::vector<std::pair<uint32_t, double>> Reference(
    const std::vector<std::vector<PodStep>>& pods) {
  std::vector<std::tuple<double, uint32_t>> rows;
  for (size_t r = 0; r < pods.size(); ++r) {
    for (const PodStep& st : pods[r])
      rows.emplace_back(st.ts, static_cast<uint32_t>(r));
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::pair<uint32_t, double>> out;
  for (const auto& [ts, r] : rows) out.emplace_back(r, ts);
  return out;
}

std::vector<std::pair<uint32_t, double>> Emitted(
    const std::vector<std::vector<PodStep>>& pods, double step) {
  std::vector<const std::vector<PodStep>*> lists;
  for (const auto& p : pods) lists.push_back(&p);
  std::vector<std::pair<uint32_t, double>> out;
  EmitInOrder(lists, step, [&](uint32_t rank, const PodStep& st) {
    out.emplace_back(rank, st.ts);
  });
  return out;
}

// Steps of one pod at grid points start + k*step for k in [from, to), every
// `every`-th one.
std::vector<PodStep> Steps(double start, double step, int from, int to,
                           int every = 1) {
  std::vector<PodStep> out;
  for (int k = from; k < to; k += every) {
    PodStep s;
    s.ts = static_cast<double>(std::llround(start * 1000) +
                               static_cast<int64_t>(k) *
                                   std::llround(step * 1000)) /
           1000.0;
    s.energy_j = k;
    s.covered_s = step;
    out.push_back(s);
  }
  return out;
}

TEST(EmitInOrder, dense_pods_come_out_by_step_then_rank) {
  const double start = 1761840000, step = 15;
  std::vector<std::vector<PodStep>> pods = {
      Steps(start, step, 0, 100), Steps(start, step, 3, 100),
      Steps(start, step, 0, 97), Steps(start, step, 0, 100, 2),
      Steps(start, step, 50, 51)};
  EXPECT_EQ(Emitted(pods, step), Reference(pods));
}

TEST(EmitInOrder, sparse_short_lived_pods_come_out_by_step_then_rank) {
  // Many pods, each alive for a few steps: the counting-sort path.
  const double start = 1761840000.5, step = 0.25;
  std::vector<std::vector<PodStep>> pods;
  for (int p = 0; p < 500; ++p) {
    const int from = (p * 37) % 1000;
    pods.push_back(Steps(start, step, from, from + 1 + p % 3));
  }
  pods.push_back({});  // a pod without steps in this batch
  EXPECT_EQ(Emitted(pods, step), Reference(pods));
}

TEST(EmitInOrder, nothing_to_emit) {
  EXPECT_TRUE(Emitted({}, 60).empty());
  EXPECT_TRUE(Emitted({{}, {}}, 60).empty());
}

TEST(EmitInOrder, a_step_off_the_grid_is_an_error_not_a_lost_row) {
  std::vector<std::vector<PodStep>> pods = {Steps(0, 60, 0, 10),
                                            Steps(0, 60, 0, 10)};
  pods[1][4].ts += 0.5;
  EXPECT_THROW(Emitted(pods, 60), Error);
}

}  // namespace
}  // namespace podpower::labels
