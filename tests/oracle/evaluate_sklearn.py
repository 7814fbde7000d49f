"""Oracle for `podpower evaluate` (src/evaluate/evaluate_sklearn_integration_test.cc).

Usage: /usr/bin/python3 evaluate_sklearn.py <dir>
Reads <dir>/X.f64 (n x d float64, row-major), y.f64, cpu.f64, groups.txt and
families.txt and kinds.txt (one per line, "" = unknown family) and meta.json {n, d, k, metric,
weights, mape_floor, level}. For GroupKFold(min(5, groups)) and LeaveOneGroupOut it
computes, with scikit-learn 1.2.1 and numpy only (independently of podpower):
the KNN's out-of-fold predictions, the four baselines, pooled MAE/RMSE/MAPE/R2,
the mean of fold MAE / R2 (the original's line), the neighbours' label spread,
the cross-fitted split-conformal interval coverage (multiplicative, per kind with
>= 20 rows: docs/formats/evaluate.md), and MAE/MAPE of seen- and
unseen-family rows. Writes <dir>/out.json.
"""
import json
import math
import sys

import numpy as np
from sklearn.metrics import (mean_absolute_error, mean_absolute_percentage_error,
                             mean_squared_error, r2_score)
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.neighbors import KNeighborsRegressor

d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
n, dim, k = meta["n"], meta["d"], meta["k"]
X = np.fromfile(f"{d}/X.f64").reshape(n, dim)
y = np.fromfile(f"{d}/y.f64")
cpu = np.fromfile(f"{d}/cpu.f64")
groups = np.array(open(f"{d}/groups.txt").read().split("\n")[:n])
families = open(f"{d}/families.txt").read().split("\n")[:n]
kinds = np.array(open(f"{d}/kinds.txt").read().split("\n")[:n])
floor = meta["mape_floor"]
level = meta["level"]


def scores(t, p):
    mask = t > floor
    return {
        "n": int(len(t)),
        "mae": mean_absolute_error(t, p),
        "rmse": math.sqrt(mean_squared_error(t, p)),
        "mape": mean_absolute_percentage_error(t[mask], p[mask]) if mask.any() else None,
        "mape_n": int(mask.sum()),
        "r2": r2_score(t, p) if len(t) >= 2 else None,
    }


def quantile(scores):
    s = np.sort(scores)
    rank = min(max(int(math.ceil((len(s) + 1) * level)), 1), len(s))
    return s[rank - 1]


def log_ratio(t, p, eps):
    return np.abs(np.log((np.maximum(t, 0) + eps) / (np.maximum(p, 0) + eps)))


def conformal(t, p, kind, group):
    """Pooled and per-kind quantiles of the log-ratio scores: a kind with >= 20
    rows its own, pulled up to (m own + fewest pooled) / (m + fewest) when that
    is wider (m = the distinct groups of its rows: what the folds hold out
    whole); the wider of the pooled and its own with fewer rows, down to the
    fewest rows whose conformal rank fits (4 at 80%); below that none."""
    eps = 0.05 * float(np.median(np.abs(t)))
    if not eps > 0:
        eps = 1e-9
    s = log_ratio(t, p, eps)
    pooled = quantile(s)
    fewest = 1
    while math.ceil((fewest + 1) * level) > fewest:
        fewest += 1
    by_kind = {}
    for k in np.unique(kind):
        rows = int(np.sum(kind == k))
        if rows >= 20:
            own = quantile(s[kind == k])
            m = len(np.unique(group[kind == k]))
            by_kind[k] = max(own, (m * own + fewest * pooled) / (m + fewest))
        elif rows >= fewest:
            by_kind[k] = max(pooled, quantile(s[kind == k]))
    return pooled, by_kind, eps


def run(splitter, g):
    oof = {m: np.zeros(n) for m in ["knn", "mean", "median", "family", "cpu"]}
    sd = np.zeros(n)
    fold = np.zeros(n, dtype=int)
    fold_mae, fold_r2 = [], []
    seen = np.full(n, -1)
    for f, (tr, te) in enumerate(splitter.split(X, y, g)):
        fold[te] = f
        knn = KNeighborsRegressor(n_neighbors=k, metric=meta["metric"],
                                  weights=meta["weights"], algorithm="brute")
        knn.fit(X[tr], y[tr])
        p = knn.predict(X[te])
        oof["knn"][te] = p
        dist, idx = knn.kneighbors(X[te])
        lab = y[tr][idx]
        if meta["weights"] == "uniform":
            w = np.ones_like(dist)
        else:
            w = 1.0 / dist
        w = w / w.sum(axis=1, keepdims=True)
        sd[te] = np.sqrt((w * (lab - p[:, None]) ** 2).sum(axis=1))
        fold_mae.append(mean_absolute_error(y[te], p))
        fold_r2.append(r2_score(y[te], p) if len(te) >= 2 else float("nan"))
        ytr = y[tr]
        oof["mean"][te] = ytr.mean()
        oof["median"][te] = np.median(ytr)
        fam_tr = {}
        for i in tr:
            if families[i]:
                fam_tr.setdefault(families[i], []).append(y[i])
        for i in te:
            oof["family"][i] = np.median(fam_tr[families[i]]) if families[i] in fam_tr \
                else np.median(ytr)
            if families[i]:
                seen[i] = 1 if families[i] in fam_tr else 0
        if np.ptp(cpu[tr]) > 0:
            slope, intercept = np.polyfit(cpu[tr], ytr, 1)
            oof["cpu"][te] = slope * cpu[te] + intercept
        else:
            oof["cpu"][te] = ytr.mean()
    inside, width = 0, 0.0
    for f in np.unique(fold):
        other, this = fold != f, fold == f
        pooled, by_kind, eps = conformal(y[other], oof["knn"][other], kinds[other],
                                         np.asarray(g)[other])
        q = np.array([by_kind.get(k, pooled) for k in kinds[this]])
        base = np.maximum(oof["knn"][this], 0) + eps
        low = np.maximum(0, base * np.exp(-q) - eps)
        high = base * np.exp(q) - eps
        inside += int(np.sum((y[this] >= low) & (y[this] <= high)))
        width += float(np.sum(high - low))
    out = {
        "fold": fold.tolist(),
        "predictions": {m: v.tolist() for m, v in oof.items()},
        "scores": {m: scores(y, v) for m, v in oof.items()},
        "fold_mae_mean": float(np.mean(fold_mae)),
        "fold_mae_std": float(np.std(fold_mae)),
        "fold_r2_mean": float(np.mean(fold_r2)),
        "label_std": sd.tolist(),
        "coverage": inside / n,
        "mean_width": width / n,
    }
    for key, flag in [("seen", 1), ("unseen", 0)]:
        m = seen == flag
        out[key] = scores(y[m], oof["knn"][m]) if m.any() else None
    return out


n_groups = len(np.unique(groups))
n_families = len(set(families))
result = {"group_kfold": run(GroupKFold(n_splits=min(5, n_groups)), groups),
          "logo": run(LeaveOneGroupOut(), groups),
          "family_kfold": run(GroupKFold(n_splits=min(5, n_families)), np.array(families))}
json.dump(result, open(f"{d}/out.json", "w"))
