// GroupKFold and numpy's argsort against the real sklearn 1.2.1 / numpy 1.24
// (Debian python).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "model/group_kfold.h"
#include "model/oracle_test_util.h"

namespace podpower::model {
namespace {

using testing::TempDir;

TEST(NumpyArgsortOracle, matches_numpy_on_random_tie_heavy_arrays) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no numpy/sklearn";
  std::mt19937_64 rng(1);
  std::vector<std::vector<int64_t>> arrays;
  for (int i = 0; i < 3000; ++i) {
    const size_t n = 1 + rng() % 400;
    const int64_t distinct =
        1 + static_cast<int64_t>(rng() % (i % 3 == 0 ? 3 : 40));
    std::vector<int64_t> a(n);
    for (auto& x : a) x = static_cast<int64_t>(rng() % distinct);
    arrays.push_back(a);
  }
  TempDir dir;
  std::ofstream(dir / "arrays.json") << nlohmann::json(arrays).dump();
  ASSERT_EQ(testing::RunOracle("argsort", dir.path().string()), 0);
  const auto expected =
      nlohmann::json::parse(testing::ReadText(dir / "argsort.json"));
  for (size_t i = 0; i < arrays.size(); ++i) {
    ASSERT_EQ(NumpyArgsort(arrays[i]), expected[i].get<std::vector<int64_t>>())
        << "array " << i << " of size " << arrays[i].size();
  }
}

TEST(GroupKFoldOracle, folds_match_sklearn_on_random_group_layouts) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no numpy/sklearn";
  std::mt19937_64 rng(2);
  nlohmann::json layouts = nlohmann::json::array();
  std::vector<std::vector<std::string>> all_groups;
  std::vector<int> all_splits;
  for (int i = 0; i < 600; ++i) {
    const int n_groups = 1 + static_cast<int>(rng() % 400);
    // Tie-heavy: group sizes drawn from a few values; names shuffled so rank !=
    // first appearance.
    const int max_size = i % 2 == 0 ? 3 : 30;
    std::vector<std::string> groups;
    for (int g = 0; g < n_groups; ++g) {
      const int size = 1 + static_cast<int>(rng() % max_size);
      const std::string name = fmt::format("w{}-{}", rng() % 100000, g);
      for (int s = 0; s < size; ++s) groups.push_back(name);
    }
    std::shuffle(groups.begin(), groups.end(), rng);
    int n_splits = std::min(n_groups, 2 + static_cast<int>(rng() % 6));
    if (n_groups < 2)
      n_splits = 2;  // sklearn errors; only layouts it accepts go to Python
    if (n_splits > n_groups) continue;
    layouts.push_back({{"groups", groups}, {"n_splits", n_splits}});
    all_groups.push_back(groups);
    all_splits.push_back(n_splits);
  }
  TempDir dir;
  std::ofstream(dir / "layouts.json") << layouts.dump();
  ASSERT_EQ(testing::RunOracle("groupkfold", dir.path().string()), 0);
  const auto expected =
      nlohmann::json::parse(testing::ReadText(dir / "folds.json"));
  ASSERT_EQ(expected.size(), all_groups.size());
  for (size_t i = 0; i < all_groups.size(); ++i) {
    ASSERT_EQ(GroupKFoldAssign(all_groups[i], all_splits[i]),
              expected[i].get<std::vector<int>>())
        << "layout " << i << ": " << all_groups[i].size() << " samples, "
        << all_splits[i] << " splits";
  }
}

}  // namespace
}  // namespace podpower::model
