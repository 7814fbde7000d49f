#!/usr/bin/env bash
# `make demo`: the whole offline pipeline on the bundled sample of a real cluster
# (examples/data/cluster-a, recorded by the original tool), then predictions for the example
# manifests in examples/manifests/. Everything lands in demo-out/.
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
step "4. train: KNN, grouped cross-validation by workload, labels averaged per spec" \
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
printf '\nAll outputs are in %s/ (predictions.json has the neighbours behind every number).\n' "$OUT"
