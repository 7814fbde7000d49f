#include "model/group_kfold.h"

#include <gtest/gtest.h>

#include "io/error.h"

namespace podpower::model {
namespace {

std::vector<std::vector<int>> TestFolds(const std::vector<int>& fold,
                                        int n_splits) {
  std::vector<std::vector<int>> out(n_splits);
  for (size_t i = 0; i < fold.size(); ++i)
    out[fold[i]].push_back(static_cast<int>(i));
  return out;
}

// Examples verified against sklearn 1.2.1 in knn-reference.md section 7.
TEST(GroupKFold, single_sample_groups_fill_folds_in_descending_group_order) {
  const auto fold = GroupKFoldAssign({"a", "b", "c", "d", "e", "f"}, 3);
  EXPECT_EQ(TestFolds(fold, 3),
            (std::vector<std::vector<int>>{{2, 5}, {1, 4}, {0, 3}}));
}

TEST(GroupKFold, largest_group_goes_first_to_the_lightest_fold) {
  const auto fold =
      GroupKFoldAssign({"x", "x", "x", "y", "y", "z", "z", "w"}, 2);
  EXPECT_EQ(TestFolds(fold, 2),
            (std::vector<std::vector<int>>{{0, 1, 2, 7}, {3, 4, 5, 6}}));
}

TEST(GroupKFold, more_splits_than_groups_is_an_error) {
  EXPECT_THROW(GroupKFoldAssign({"a", "b", "a"}, 3), Error);
  EXPECT_THROW(GroupKFoldAssign({"a", "b"}, 1), Error);
}

TEST(NumpyArgsort, up_to_16_equal_values_keep_index_order) {
  for (size_t n = 0; n <= 16; ++n) {
    const auto order = NumpyArgsort(std::vector<int64_t>(n, 7));
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(order[i], static_cast<int64_t>(i)) << "n=" << n;
  }
}

TEST(NumpyArgsort, result_is_sorted_permutation) {
  std::vector<int64_t> v;
  for (int i = 0; i < 1000; ++i) v.push_back((i * 7919) % 37);
  const auto order = NumpyArgsort(v);
  std::vector<bool> seen(v.size());
  for (size_t i = 0; i < order.size(); ++i) {
    seen[order[i]] = true;
    if (i > 0) {
      EXPECT_LE(v[order[i - 1]], v[order[i]]);
    }
  }
  for (bool s : seen) EXPECT_TRUE(s);
}

}  // namespace
}  // namespace podpower::model
