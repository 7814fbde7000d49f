#include "model/group_kfold.h"

#include <algorithm>
#include <bit>
#include <map>
#include <utility>

#include "io/error.h"

namespace podpower::model {
namespace {

constexpr int64_t kSmallQuicksort =
    15;  // numpy's SMALL_QUICKSORT (spans of <= 16 use insertion sort)

// numpy's aheapsort_ (npysort/heapsort.cpp) on tosort[0..n), used when
// introsort runs out of depth.
void NumpyArgHeapsort(const int64_t* v, int64_t* tosort, int64_t n) {
  int64_t* a = tosort - 1;  // 1-based heap indexing, as numpy does
  int64_t i, j, l, tmp;
  for (l = n >> 1; l > 0; --l) {
    tmp = a[l];
    for (i = l, j = l << 1; j <= n;) {
      if (j < n && v[a[j]] < v[a[j + 1]]) j += 1;
      if (v[tmp] < v[a[j]]) {
        a[i] = a[j];
        i = j;
        j += j;
      } else {
        break;
      }
    }
    a[i] = tmp;
  }
  for (; n > 1;) {
    tmp = a[n];
    a[n] = a[1];
    n -= 1;
    for (i = 1, j = 2; j <= n;) {
      if (j < n && v[a[j]] < v[a[j + 1]]) j++;
      if (v[tmp] < v[a[j]]) {
        a[i] = a[j];
        i = j;
        j += j;
      } else {
        break;
      }
    }
    a[i] = tmp;
  }
}

}  // namespace

// A transcription of numpy 1.24's aquicksort_ (npysort/quicksort.cpp) with
// pointers as indices.
std::vector<int64_t> NumpyArgsort(const std::vector<int64_t>& values) {
  const int64_t num = static_cast<int64_t>(values.size());
  std::vector<int64_t> order(values.size());
  for (int64_t i = 0; i < num; ++i) order[i] = i;
  if (num < 2) return order;
  const int64_t* v = values.data();
  int64_t* t = order.data();
  int64_t pl = 0, pr = num - 1;
  std::vector<std::pair<int64_t, int64_t>> stack;
  std::vector<int> depth_stack;
  int cdepth = (std::bit_width(static_cast<uint64_t>(num)) - 1) *
               2;  // npy_get_msb(num) * 2
  for (;;) {
    bool sorted_by_heap = false;
    if (cdepth < 0) {
      NumpyArgHeapsort(v, t + pl, pr - pl + 1);
      sorted_by_heap = true;
    }
    if (!sorted_by_heap) {
      while ((pr - pl) > kSmallQuicksort) {
        int64_t pm = pl + ((pr - pl) >> 1);
        if (v[t[pm]] < v[t[pl]]) std::swap(t[pm], t[pl]);
        if (v[t[pr]] < v[t[pm]]) std::swap(t[pr], t[pm]);
        if (v[t[pm]] < v[t[pl]]) std::swap(t[pm], t[pl]);
        const int64_t vp = v[t[pm]];
        int64_t pi = pl;
        int64_t pj = pr - 1;
        std::swap(t[pm], t[pj]);
        for (;;) {
          do {
            ++pi;
          } while (v[t[pi]] < vp);
          do {
            --pj;
          } while (vp < v[t[pj]]);
          if (pi >= pj) break;
          std::swap(t[pi], t[pj]);
        }
        const int64_t pk = pr - 1;
        std::swap(t[pi], t[pk]);
        // The larger partition goes on the stack, the smaller is sorted next.
        if (pi - pl < pr - pi) {
          stack.emplace_back(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.emplace_back(pl, pi - 1);
          pl = pi + 1;
        }
        depth_stack.push_back(--cdepth);
      }
      for (int64_t pi = pl + 1; pi <= pr; ++pi) {  // insertion sort
        const int64_t vi = t[pi];
        const int64_t vp = v[vi];
        int64_t pj = pi;
        int64_t pk = pi - 1;
        while (pj > pl && vp < v[t[pk]]) t[pj--] = t[pk--];
        t[pj] = vi;
      }
    }
    if (stack.empty()) break;
    pl = stack.back().first;
    pr = stack.back().second;
    stack.pop_back();
    cdepth = depth_stack.back();
    depth_stack.pop_back();
  }
  return order;
}

std::vector<int> GroupKFoldAssign(const std::vector<std::string>& groups,
                                  int n_splits) {
  if (n_splits < 2) {
    throw Error("GroupKFold: need at least 2 folds, got " +
                std::to_string(n_splits));
  }
  // np.unique(groups, return_inverse=True): group index = rank in sorted order.
  std::map<std::string, int64_t> rank;
  for (const auto& g : groups) rank.emplace(g, 0);
  int64_t next = 0;
  for (auto& [name, r] : rank) r = next++;
  const int64_t n_groups = next;
  if (n_splits > n_groups) {
    throw Error(
        "GroupKFold: cannot have number of splits n_splits=" +
        std::to_string(n_splits) +
        " greater than the number of groups: " + std::to_string(n_groups));
  }
  std::vector<int64_t> group_of(groups.size());
  std::vector<int64_t> count(n_groups, 0);
  for (size_t i = 0; i < groups.size(); ++i) {
    group_of[i] = rank[groups[i]];
    ++count[group_of[i]];
  }
  // argsort ascending, reversed: largest groups first, numpy's order among
  // equal counts.
  std::vector<int64_t> order = NumpyArgsort(count);
  std::reverse(order.begin(), order.end());
  std::vector<int64_t> fold_size(n_splits, 0);
  std::vector<int> group_fold(n_groups, 0);
  for (int64_t g : order) {
    // np.argmin: the lowest fold index among equally light folds.
    int lightest = 0;
    for (int f = 1; f < n_splits; ++f) {
      if (fold_size[f] < fold_size[lightest]) lightest = f;
    }
    fold_size[lightest] += count[g];
    group_fold[g] = lightest;
  }
  std::vector<int> fold(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) fold[i] = group_fold[group_of[i]];
  return fold;
}

}  // namespace podpower::model
