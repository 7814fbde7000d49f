// GroupKFold exactly as scikit-learn 1.2.1 assigns folds, so CV numbers match
// the original tool.
//
// sklearn orders groups by sample count with numpy's default (unstable
// introsort) argsort, so the fold a group lands in depends on numpy's tie order
// among equal-sized groups; NumpyArgsort reproduces numpy 1.24's int64
// quicksort line by line. Pure functions, thread-safe.
#ifndef PODPOWER_MODEL_GROUP_KFOLD_H_
#define PODPOWER_MODEL_GROUP_KFOLD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace podpower::model {

// np.argsort(values) (kind="quicksort", the default) for an int64 array:
// ascending, with numpy's order among equal values.
std::vector<int64_t> NumpyArgsort(const std::vector<int64_t>& values);

// Fold index (0..n_splits-1) of every sample, as GroupKFold(n_splits).split(X,
// y, groups) yields them: sample i is in the test set of fold result[i]. Groups
// compare by their bytes (UTF-8 byte order is code point order, as np.unique
// sorts). Throws podpower::Error when n_splits < 2 or n_splits exceeds the
// number of distinct groups (sklearn's ValueError).
std::vector<int> GroupKFoldAssign(const std::vector<std::string>& groups,
                                  int n_splits);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_GROUP_KFOLD_H_
