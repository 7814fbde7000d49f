#!/usr/bin/env bash
# The whole pipeline on a simulated cluster, no real cluster needed:
#   simulate -> promtool backfill -> Prometheus (Debian's) -> podpower labels -> encode -> join ->
#   train -> evaluate (HTML report) -> predict the example manifests.
# Usage: scripts/demo-simulated.sh [podpower binary] [output folder] [workloads] [hours]
# Stops the Prometheus it started (by pid) on every exit path. For the lead to fold into `make demo`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/src/cli/podpower}")
OUT=${2:-$ROOT/demo-out/simulated}
WORKLOADS=${3:-300}
HOURS=${4:-2}
START=1764000000 # fixed window (2025-11-24 16:00 UTC): same seed, same numbers
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
rm -rf "${OUT:?}"/*
PROM_PID=""
cleanup() { if [ -n "$PROM_PID" ]; then "$ROOT/tests/e2e/prometheus-stop.sh" "$PROM_PID" || true; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "1. simulate: $WORKLOADS workloads, $HOURS h, hidden power models" \
  "$BIN" simulate --workloads "$WORKLOADS" --hours "$HOURS" --seed 42 --start "$START" \
  --out "$OUT/sim"
END=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end'])" \
  "$OUT/sim/simulation.json")
step "2. promtool: backfill the Kepler and kube-state-metrics series into a TSDB" \
  "$ROOT/tests/e2e/prometheus-backfill.sh" "$OUT/sim/kepler.om" "$OUT/tsdb"
read -r PORT PROM_PID < <("$ROOT/tests/e2e/prometheus-start.sh" "$OUT/tsdb" "$OUT/prom")
echo "prometheus on 127.0.0.1:$PORT (pid $PROM_PID)"
step "3. labels: per-pod energy per 60 s step from Prometheus" \
  "$BIN" labels --prom "http://127.0.0.1:$PORT" --start "$START" --end "$END" --step 60 \
  --out "$OUT/kepler_labels.parquet"
cleanup
PROM_PID=""
step "4. encode: fit on the simulated specs (hashed text block), then transform" \
  "$BIN" encode fit --input "$OUT/sim/inference_requests.ndjson" --encoder "$OUT/encoder.ppenc" \
  --text hash
"$BIN" encode transform --input "$OUT/sim/inference_requests.ndjson" \
  --encoder "$OUT/encoder.ppenc" --out "$OUT/features.parquet"
step "5. join: features with labels" \
  "$BIN" join --features "$OUT/features.parquet" --labels "$OUT/kepler_labels.parquet" \
  --out "$OUT/train_rows.parquet"
step "6. train: the default model with a calibrated 80% interval" \
  "$BIN" train --train "$OUT/train_rows.parquet" --aggregate --out "$OUT/model.ppknn"
step "7. evaluate: the model, its candidates and the baselines, seen/unseen families, interval coverage" \
  "$BIN" evaluate --train "$OUT/train_rows.parquet" --aggregate \
  --requests "$OUT/sim/inference_requests.ndjson" --report "$OUT/report.html"
if ls "$ROOT"/examples/manifests/*.yaml >/dev/null 2>&1; then
  step "8. predict: the example manifests" \
    "$BIN" collect from-file "$ROOT"/examples/manifests/*.yaml --out "$OUT/examples.ndjson"
  "$BIN" predict --encoder "$OUT/encoder.ppenc" --model "$OUT/model.ppknn" \
    --input "$OUT/examples.ndjson" --format table
fi
printf '\nReport: %s/report.html (true watts per pod: %s/sim/truth_pods.csv)\n' "$OUT" "$OUT"
