#!/usr/bin/env bash
# `make demo`, in two parts; everything lands in demo-out/.
#  1. The offline pipeline on the bundled sample of a real cluster (examples/data/cluster-a,
#     recorded by the original tool), then predictions for the example manifests.
#  2. The whole pipeline on a simulated cluster with no cluster at all (scripts/demo-simulated.sh):
#     simulate -> real Prometheus (backfilled, started and stopped here) -> labels -> encode ->
#     join -> train -> evaluate (demo-out/report.html) -> predict.
set -euo pipefail
BIN=${1:-build/src/cli/podpower}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=demo-out
DATA=examples/data/cluster-a
rm -rf "$OUT" && mkdir -p "$OUT"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "1. encode: fit the encoder on the cluster's workload specs (hashed text block, no model download)" \
  "$BIN" encode fit --input "$DATA/inference_requests.ndjson" --encoder "$OUT/encoder.ppenc" --text hash
step "2. encode: one feature vector per spec" \
  "$BIN" encode transform --input "$DATA/inference_requests.ndjson" --encoder "$OUT/encoder.ppenc" \
  --out "$OUT/features.parquet"
step "3. join: features with the Kepler energy labels measured on that cluster" \
  "$BIN" join --features "$OUT/features.parquet" --labels "$DATA/kepler_labels.parquet" \
  --out "$OUT/train_rows.parquet"
step "4. train: the default model (KNN, KNN per core and simple predictors blended by grouped CV), labels averaged per spec" \
  "$BIN" train --train "$OUT/train_rows.parquet" --target energy_step_j --aggregate \
  --out "$OUT/model.ppknn"
step "5. collect: the example manifests as InferenceRequest records" \
  "$BIN" collect from-file examples/manifests/web.yaml examples/manifests/database.yaml \
  examples/manifests/batch.yaml --out "$OUT/examples.ndjson"
step "6. predict: energy per 60 s step for workloads that have never run" \
  "$BIN" predict --encoder "$OUT/encoder.ppenc" --model "$OUT/model.ppknn" \
  --input "$OUT/examples.ndjson" --format table
"$BIN" predict --encoder "$OUT/encoder.ppenc" --model "$OUT/model.ppknn" \
  --input "$OUT/examples.ndjson" --format json --out "$OUT/predictions.json"
printf '\nPart 1 outputs are in %s/ (predictions.json has the neighbours behind every number).\n' "$OUT"

printf '\n######## Part 2: a simulated cluster through the whole pipeline\n'
scripts/demo-simulated.sh "$BIN" "$OUT/simulated"
cp "$OUT/simulated/report.html" "$OUT/report.html"
printf '\nModel quality report: %s/report.html\n' "$ROOT/$OUT"
