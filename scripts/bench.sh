#!/usr/bin/env bash
# `make bench`: every benchmark, each next to its reference in the same run, printing ratios.
# Each bench/*.sh prints its own table; this script only runs them in order and says where it is.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PODPOWER_BUILD="$ROOT/$BUILD" PODPOWER_BIN="$ROOT/$BUILD/src/cli/podpower"
status=0
for b in "$ROOT"/bench/*.sh; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b" .sh)"
  bash "$b" || { echo "bench: $(basename "$b") failed" >&2; status=1; }
done
exit $status
