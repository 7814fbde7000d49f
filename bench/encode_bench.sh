#!/usr/bin/env bash
# `make bench` part: encode throughput on 100k generated records, podpower vs the original's Python
# encode path (bench/encode_bench.py). ENCODE_BENCH_RECORDS sets the count.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-${1:-$ROOT/build}}
BIN="$BUILD/bench/encode_bench"
[ -x "$BIN" ] || { echo "encode_bench: $BIN not built" >&2; exit 1; }
exec /usr/bin/python3 "$ROOT/bench/encode_bench.py" "$BIN" "${ENCODE_BENCH_RECORDS:-100000}"
