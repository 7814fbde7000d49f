#!/usr/bin/env python3
"""Writes a model artifact of format version 1 (docs/formats/model.md as it was
before version 2), the fixture that pins "older model files still load and
predict exactly as before" (src/model/knn_artifact_test.cc).

Usage: knn_v1_fixture.py OUT.ppknn
Six rows x 3 features, k=3, cosine, uniform, with the additive interval of
version 1. Deterministic: the same bytes every run.
"""
import hashlib
import json
import struct
import sys

features = [
    [1.0, 0.0, 0.5],
    [0.9, 0.1, 0.4],
    [0.0, 1.0, 0.2],
    [0.1, 0.9, 0.3],
    [0.5, 0.5, 0.5],
    [0.2, 0.1, 1.0],
]
labels = [10.0, 11.0, 3.0, 2.5, 6.0, 8.0]
workloads = ["api", "cache", "db", "web"]
index = [0, 0, 2, 2, 1, 3]

header = {
    "format": "podpower-knn", "format_version": 1, "created_by": "podpower 0.1.0",
    "target": "avg_power_w", "k": 3, "metric": "cosine", "weights": "uniform",
    "tie_rule": "share-kth", "aggregated": True, "encoder_fingerprint": "features:3",
    "source": "knn_v1_fixture.py", "rows": 6, "dim": 3, "workloads": workloads,
    "interval": {"method": "conformal-neighbour-spread", "level": 0.8, "scale": 1.5,
                 "floor": 0.25},
}
f_bytes = b"".join(struct.pack("<f", v) for row in features for v in row)
l_bytes = b"".join(struct.pack("<d", v) for v in labels)
i_bytes = b"".join(struct.pack("<I", v) for v in index)
header["arrays"] = [
    {"name": "features", "dtype": "<f4", "shape": [6, 3], "offset": 0, "bytes": len(f_bytes)},
    {"name": "labels", "dtype": "<f8", "shape": [6], "offset": len(f_bytes),
     "bytes": len(l_bytes)},
    {"name": "workload_index", "dtype": "<u4", "shape": [6],
     "offset": len(f_bytes) + len(l_bytes), "bytes": len(i_bytes)},
]
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
body = b"PODPKNN\n" + struct.pack("<II", 1, len(text)) + text + f_bytes + l_bytes + i_bytes
with open(sys.argv[1], "wb") as out:
    out.write(body + hashlib.sha256(body).digest())
