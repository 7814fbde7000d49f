#!/usr/bin/python3
"""Oracle for podpower's io::PythonJsonDumps: what Python's json.dumps prints.

Usage:
  python_json_dumps.py values IN OUT   IN: one JSON value per line (UTF-8). OUT: per input line,
                                       two lines: json.dumps(v, sort_keys=True), json.dumps(v).
  python_json_dumps.py floats IN OUT   IN: raw little-endian float64s. OUT: json.dumps(x) per line.
  python_json_dumps.py spechash IN OUT IN: NDJSON records. OUT: per record the first 16 hex chars of
                                       sha256(json.dumps(record, sort_keys=True)).
"""
import hashlib
import json
import struct
import sys


def main():
    mode, src, dst = sys.argv[1:4]
    out = []
    if mode == "values":
        with open(src, encoding="utf-8") as f:
            for line in f:
                v = json.loads(line)
                out.append(json.dumps(v, sort_keys=True))
                out.append(json.dumps(v))
    elif mode == "floats":
        data = open(src, "rb").read()
        for (x,) in struct.iter_unpack("<d", data):
            out.append(json.dumps(x))
    elif mode == "spechash":
        with open(src, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    text = json.dumps(rec, sort_keys=True)
                    out.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    else:
        sys.exit("unknown mode " + mode)
    with open(dst, "w", encoding="ascii") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
