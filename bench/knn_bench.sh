#!/usr/bin/env bash
# `make bench` part: podpower vs scikit-learn KNN fit+predict (20k x 5k, d=400 and 16, k=5).
# Run as `bash bench/knn_bench.sh [build-dir]` (scripts/bench.sh sets PODPOWER_BUILD).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-${1:-$ROOT/build}}
BIN="$BUILD/bench/knn_bench"
if [ ! -x "$BIN" ]; then
  echo "knn_bench: $BIN not built (cmake --build $BUILD --target knn_bench)" >&2
  exit 1
fi
# KNN_BENCH_QUICK=1 runs a 2k x 500 smoke version.
exec /usr/bin/python3 "$ROOT/bench/knn_bench.py" "$BIN" ${KNN_BENCH_QUICK:+--quick}
