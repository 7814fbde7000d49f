"""scikit-learn 1.2.1 oracle for podpower's KNN, GroupKFold and CV (run with /usr/bin/python3).

Usage: knn_sklearn.py knn|cv|groupkfold|argsort <dir>
Data is exchanged through <dir>: meta.json plus raw little-endian float64 arrays (C order).
  knn:        train_X.f64 (n x d), train_y.f64 (n), query_X.f64 (nq x d) -> pred.f64 (nq)
  cv:         X.f64 (n x d), y.f64 (n), groups.json -> pred.f64 (n, out-of-fold), folds.json
  cv_share:   as cv, but predictions follow podpower's tie rule (docs/formats/model.md), written
              independently here with numpy: identical feature rows are merged first so ties are
              exact, then the m nearer rows count fully and the t rows at the k-th distance share
              k - m slots.
  groupkfold: layouts.json [{"groups": [...], "n_splits": s}, ...] -> folds.json (fold per sample)
  argsort:    arrays.json [[int, ...], ...] -> argsort.json
"""
import json
import os
import sys

import numpy as np
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KNeighborsRegressor


def load(d, name, shape):
    return np.fromfile(os.path.join(d, name), dtype="<f8").reshape(shape)


def tie_share_predict(uniq, inverse, y, x, meta):
    """uniq: the distinct training rows; inverse: which distinct row each training row is."""
    k = meta["k"]
    if meta["metric"] == "cosine":
        nq, nu = np.linalg.norm(x), np.linalg.norm(uniq, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = 1.0 - (uniq @ x) / (nu * nq)
        dist[(nu == 0) | (nq == 0)] = 1.0
        dist = np.clip(dist, 0.0, 2.0)
    else:
        dist = np.sqrt(((uniq - x) ** 2).sum(axis=1))
    row_dist = dist[inverse]
    kth = np.sort(row_dist)[k - 1]
    nearer, tied = row_dist < kth, row_dist == kth
    m, t = nearer.sum(), tied.sum()
    share = np.where(nearer, 1.0, np.where(tied, (k - m) / t, 0.0))
    if meta["weights"] == "uniform":
        return (share * y).sum() / k
    used = nearer | tied
    if (row_dist[used] == 0).any():
        return y[used & (row_dist == 0)].mean()
    w = np.where(used, share / np.where(used, row_dist, 1.0), 0.0)
    return (w * y).sum() / w.sum()


def main():
    mode, d = sys.argv[1], sys.argv[2]
    meta = {}
    if os.path.exists(os.path.join(d, "meta.json")):
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    if mode == "knn":
        n, dim, nq = meta["n"], meta["d"], meta["nq"]
        model = KNeighborsRegressor(n_neighbors=meta["k"], metric=meta["metric"],
                                    weights=meta["weights"])
        model.fit(load(d, "train_X.f64", (n, dim)), load(d, "train_y.f64", (n,)))
        model.predict(load(d, "query_X.f64", (nq, dim))).astype("<f8").tofile(
            os.path.join(d, "pred.f64"))
    elif mode == "cv":
        n, dim = meta["n"], meta["d"]
        X, y = load(d, "X.f64", (n, dim)), load(d, "y.f64", (n,))
        with open(os.path.join(d, "groups.json")) as f:
            groups = np.array(json.load(f), dtype=object)
        n_splits = min(5, len(set(groups)))
        pred = np.zeros(n)
        fold_of = np.zeros(n, dtype=int)
        for f, (tr, te) in enumerate(GroupKFold(n_splits=n_splits).split(X, y, groups)):
            model = KNeighborsRegressor(n_neighbors=meta["k"], metric=meta["metric"],
                                        weights=meta["weights"])
            model.fit(X[tr], y[tr])
            pred[te] = model.predict(X[te])
            fold_of[te] = f
        pred.astype("<f8").tofile(os.path.join(d, "pred.f64"))
        with open(os.path.join(d, "folds.json"), "w") as f:
            json.dump(fold_of.tolist(), f)
    elif mode == "cv_share":
        n, dim = meta["n"], meta["d"]
        X, y = load(d, "X.f64", (n, dim)), load(d, "y.f64", (n,))
        with open(os.path.join(d, "groups.json")) as f:
            groups = np.array(json.load(f), dtype=object)
        n_splits = min(5, len(set(groups)))
        pred = np.zeros(n)
        for tr, te in GroupKFold(n_splits=n_splits).split(X, y, groups):
            uniq, inverse = np.unique(X[tr], axis=0, return_inverse=True)
            for q in te:
                pred[q] = tie_share_predict(uniq, inverse.reshape(-1), y[tr], X[q], meta)
        pred.astype("<f8").tofile(os.path.join(d, "pred.f64"))
    elif mode == "groupkfold":
        with open(os.path.join(d, "layouts.json")) as f:
            layouts = json.load(f)
        out = []
        for layout in layouts:
            groups = np.array(layout["groups"], dtype=object)
            fold_of = np.full(len(groups), -1)
            for f, (_, te) in enumerate(
                    GroupKFold(n_splits=layout["n_splits"]).split(groups, groups, groups)):
                fold_of[te] = f
            out.append(fold_of.tolist())
        with open(os.path.join(d, "folds.json"), "w") as f:
            json.dump(out, f)
    elif mode == "argsort":
        with open(os.path.join(d, "arrays.json")) as f:
            arrays = json.load(f)
        out = [np.argsort(np.array(a, dtype=np.int64)).tolist() for a in arrays]
        with open(os.path.join(d, "argsort.json"), "w") as f:
            json.dump(out, f)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
