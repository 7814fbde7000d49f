#!/usr/bin/python3
"""Encoder throughput, podpower next to the original's Python encode, on the same 100k records.

The reference is the original k8s_encode.py path with --no-sbert, written from its rules
(../shared/reference/inference-request.md): json.loads per line, numerics summed over containers,
_spec_hash = sha256(json.dumps(record, sort_keys=True))[:16], scikit-learn StandardScaler +
OneHotEncoder fit_transform. It stops before writing Parquet (Debian's Python has no Parquet
engine), so the comparison is read + fit + transform + hash on both sides.
"""
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["req_cpu_mcpu", "req_mem_mib", "lim_cpu_mcpu", "lim_mem_mib"]


def reference(path):
    t = time.perf_counter()
    records = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    rows, cats, hashes = [], [], []
    for r in records:
        sums = [sum((c.get(k) or 0) for c in r.get("containers") or []) for k in NUMERIC]
        rows.append([r.get("gpu_count") or 0, r.get("init_container_count") or 0,
                     r.get("sidecar_count") or 0] + sums)
        cats.append([r.get("runtime_class") or "NA", r.get("node_type") or "NA"])
        hashes.append(hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest()[:16])
    num = StandardScaler().fit_transform(np.asarray(rows, dtype=float))
    onehot = OneHotEncoder(handle_unknown="ignore").fit_transform(cats).toarray()
    features = np.hstack([num, onehot]).astype(np.float32)
    work_s = time.perf_counter() - t
    return len(records), read_s, work_s, features.shape


def main():
    bench = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "records.ndjson")
        subprocess.run([bench, "gen", str(n), path], check=True)
        out = subprocess.run([bench, "run", path, tmp], check=True, capture_output=True, text=True)
        pp = json.loads(out.stdout)
        count, read_s, work_s, shape = reference(path)
    assert count == pp["records"], (count, pp["records"])
    ref_total = read_s + work_s
    pp_total = pp["read_s"] + pp["fit_transform_hash_no_text_s"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"encode, {count} synthetic records (read NDJSON + fit + transform + _spec_hash, no text)")
    print(f"  {'':28s} {'podpower':>10s} {'python ref':>10s} {'ratio':>7s}")
    print(f"  {'read NDJSON (s)':28s} {pp['read_s']:10.3f} {read_s:10.3f} {read_s / pp['read_s']:6.1f}x")
    print(f"  {'fit+transform+hash (s)':28s} {pp['fit_transform_hash_no_text_s']:10.3f} "
          f"{work_s:10.3f} {work_s / pp['fit_transform_hash_no_text_s']:6.1f}x")
    print(f"  {'total (s)':28s} {pp_total:10.3f} {ref_total:10.3f} {ref_total / pp_total:6.1f}x")
    print(f"  {'records/s':28s} {count / pp_total:10.0f} {count / ref_total:10.0f}")
    print(f"  podpower extras: --text hash fit+transform {pp['fit_transform_text_hash_s']:.3f} s, "
          f"features Parquet {pp['features_parquet_s']:.3f} s; peak RSS podpower "
          f"{pp['peak_rss_mb']:.0f} MB, python {rss:.0f} MB")


if __name__ == "__main__":
    main()
