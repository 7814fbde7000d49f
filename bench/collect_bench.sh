#!/usr/bin/env bash
# `make bench` part: the live collector against a real kube-apiserver v1.20.2 (tests/e2e/kube-up.sh):
# list -> NDJSON objects/s for 10k Deployments (next to kubectl), and RSS while 100k watch events
# stream through. COLLECT_BENCH_DEPLOYMENTS / COLLECT_BENCH_EVENTS shrink it for a smoke run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-${1:-$ROOT/build}}
BIN="$BUILD/bench/collect_bench"
if [ ! -x "$BIN" ]; then
  echo "collect_bench: $BIN not built (cmake --build $BUILD --target collect_bench)" >&2
  exit 1
fi
DIR=$(mktemp -d /tmp/podpower-collect-bench.XXXXXX)
trap '"$ROOT/tests/e2e/kube-up.sh" stop "$DIR"; rm -rf "$DIR"' EXIT
"$ROOT/tests/e2e/kube-up.sh" start "$DIR" >/dev/null
"$BIN" "$DIR/kubeconfig" "${COLLECT_BENCH_DEPLOYMENTS:-10000}" "${COLLECT_BENCH_EVENTS:-100000}" \
  "${PODPOWER_BIN:-$BUILD/src/cli/podpower}"
