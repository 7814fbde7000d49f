#!/bin/sh
# Backfills OpenMetrics text into a fresh Prometheus TSDB directory.
# Usage: prometheus-backfill.sh <kepler.om> <tsdb-dir>
# The text must have seconds timestamps, increasing per series, and end with "# EOF"
# (see /work/shared/reference/prometheus-api.md section 5); promtool drops out-of-order samples
# silently, so generators must respect that.
set -eu
om=$1
data=$2
mkdir -p "$data"
promtool tsdb create-blocks-from openmetrics -q "$om" "$data" >"$data/../promtool.log" 2>&1 || {
  echo "prometheus-backfill: promtool failed, see $data/../promtool.log" >&2
  exit 1
}
