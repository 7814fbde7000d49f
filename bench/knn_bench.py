"""podpower vs scikit-learn KNN fit+predict, 20k train x 5k queries, k=5, d=400 and 16.

Usage: /usr/bin/python3 bench/knn_bench.py <path to the knn_bench binary> [--quick]
Data as in knn-reference.md section 8: np.random.default_rng(0); per D (400 first, then 16)
train X, y = 3 X[:,0] + N(0,1), then queries. Both sides get the same float32-rounded values
(podpower stores features as float32; sklearn gets them as float64, its usual input). Prints a
table with both timings, the ratio, agreement of predictions and podpower's peak RSS.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.neighbors import KNeighborsRegressor


def main():
    binary = sys.argv[1]
    quick = "--quick" in sys.argv
    n, nq, k = (2000, 500, 5) if quick else (20000, 5000, 5)
    rng = np.random.default_rng(0)
    print(f"KNN fit+predict, {n} train x {nq} queries, k={k}, euclidean, uniform "
          "(sklearn 1.2.1 algorithm=auto -> brute)")
    print(f"{'dim':>4} {'sklearn s':>10} {'podpower s':>11} {'ratio':>7} {'sklearn cpu':>12} "
          f"{'podpower cpu':>13} {'cpu ratio':>10} {'max rel diff':>13} {'ties':>5} "
          f"{'podpower peak RSS':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for dim in (400, 16):
            X = rng.standard_normal((n, dim))
            y = 3 * X[:, 0] + rng.standard_normal(n)
            Q = rng.standard_normal((nq, dim))
            X = X.astype(np.float32).astype(np.float64)
            Q = Q.astype(np.float32).astype(np.float64)
            d = os.path.join(tmp, f"d{dim}")
            os.makedirs(d)
            X.astype("<f8").tofile(os.path.join(d, "train_X.f64"))
            y.astype("<f8").tofile(os.path.join(d, "train_y.f64"))
            Q.astype("<f8").tofile(os.path.join(d, "query_X.f64"))
            t0, c0 = time.perf_counter(), time.process_time()
            model = KNeighborsRegressor(n_neighbors=k).fit(X, y)
            want = model.predict(Q)
            sk, sk_cpu = time.perf_counter() - t0, time.process_time() - c0
            out = subprocess.run([binary, d, str(n), str(nq), str(dim), str(k), "euclidean",
                                  "uniform"], check=True, capture_output=True, text=True)
            pp = json.loads(out.stdout)
            got = np.fromfile(os.path.join(d, "podpower_pred.f64"), dtype="<f8")
            rel = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300))
            total = pp["fit_s"] + pp["predict_s"]
            print(f"{dim:>4} {sk:>10.3f} {total:>11.3f} {sk / total:>6.1f}x {sk_cpu:>12.3f} "
                  f"{pp['cpu_s']:>13.3f} {sk_cpu / pp['cpu_s']:>9.1f}x {rel:>13.2e} "
                  f"{pp['ties']:>5} {pp['peak_rss_mb']:>15.1f} MB")
    print("ratio = sklearn time / podpower time (goal >= 5x); cpu = user+sys seconds of all "
          "threads (steadier on a shared machine); podpower peak RSS includes loading the "
          "float64 input files")


if __name__ == "__main__":
    main()
