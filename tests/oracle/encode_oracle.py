#!/usr/bin/python3
"""Oracles for podpower's encoder, written from docs/formats/encoder.md and the original's rules.

  encode_oracle.py hash DIM IN OUT      IN: one JSON string per line. OUT: raw float32 LE vectors
                                        of the documented hashed-token embedding.
  encode_oracle.py artifact PATH OUT    reads a .ppenc without podpower, checks its SHA256, writes
                                        JSON {version, header, mean, scale}.
  encode_oracle.py sklearn FIT IN OUT   FIT/IN: JSON lines [7 numerics, runtime_class, node_type]
                                        (null = missing). Fits scikit-learn's StandardScaler and
                                        OneHotEncoder(handle_unknown="ignore") on FIT as the
                                        original k8s_encode did, transforms IN, writes float32 LE.
"""
import hashlib
import json
import math
import re
import struct
import sys


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def hashed_embedding(text, dim):
    v = [0.0] * dim
    for tok in re.findall(rb"[a-z0-9\x80-\xff]+", text.encode("utf-8").lower()):
        h = fnv1a64(tok)
        v[h % dim] += 1.0 if h < 2**63 else -1.0
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm if norm > 0 else 0.0 for x in v]


def read_artifact(path):
    data = open(path, "rb").read()
    body, trailer = data[:-72], data[-72:]
    assert trailer.startswith(b"SHA256 ") and trailer.endswith(b"\n"), "no trailer"
    assert hashlib.sha256(body).hexdigest() == trailer[7:71].decode(), "checksum mismatch"
    magic, rest = body.split(b"\n", 1)
    assert magic.startswith(b"PODPOWER-ENCODER "), "bad magic"
    header_line, payload = rest.split(b"\n", 1)
    header = json.loads(header_line)
    assert len(payload) == header["payload_bytes"]
    arrays, off = {}, 0
    for a in header["arrays"]:
        assert a["dtype"] == "<f8"
        arrays[a["name"]] = list(struct.unpack_from("<%dd" % a["count"], payload, off))
        off += 8 * a["count"]
    return {"version": int(magic.split()[1]), "header": header,
            "mean": arrays["mean"], "scale": arrays["scale"]}


def main():
    mode = sys.argv[1]
    if mode == "hash":
        dim, src, dst = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        with open(src, encoding="utf-8") as f, open(dst, "wb") as out:
            for line in f:
                vec = hashed_embedding(json.loads(line), dim)
                out.write(struct.pack("<%df" % dim, *vec))
    elif mode == "artifact":
        with open(sys.argv[3], "w") as out:
            json.dump(read_artifact(sys.argv[2]), out)
    elif mode == "sklearn":
        import numpy as np
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        def load(path):
            rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
            num = np.array([r[:7] for r in rows], dtype=np.float64)
            cat = np.array([["NA" if v is None else v for v in r[7:9]] for r in rows], dtype=object)
            return num, cat

        fit_num, fit_cat = load(sys.argv[2])
        num, cat = load(sys.argv[3])
        scaler = StandardScaler().fit(fit_num)
        onehot = OneHotEncoder(handle_unknown="ignore").fit(fit_cat)
        oh = onehot.transform(cat)
        oh = oh.toarray() if hasattr(oh, "toarray") else oh
        feats = np.hstack([scaler.transform(num), oh]).astype(np.float32)
        open(sys.argv[4], "wb").write(feats.astype("<f4").tobytes())
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
