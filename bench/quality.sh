#!/usr/bin/env bash
# Model quality matrix (issue: the default model must never lose to a simple baseline).
#
# For the two real samples (cluster-a: the demo's part 1 rows; cluster-b) and for
# `podpower simulate --workloads 300 --hours 6` with every seed x Kepler schema x
# --request-coupling, runs the real pipeline (simulate -> promtool -> Prometheus -> labels
# -> encode -> join) and `podpower evaluate --aggregate --json`, then prints one table row per
# (data, scheme): the default model's nested-CV MAE over the best baseline's, MAPE over the
# oracle's (simulated clusters: the expected watts given the spec), unseen-family MAPE over the
# best baseline's there, and the 80% interval's cross-fitted coverage (overall and the worst
# kind with >= 20 rows).
# Environment: QUALITY_SEEDS ("1 2 3"), QUALITY_SCHEMAS ("v0.7 v0.10"), QUALITY_COUPLINGS
# ("1 0.5 0"), QUALITY_WORKLOADS (300), QUALITY_HOURS (6), QUALITY_OUT (a temporary folder).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PODPOWER_BIN:-$ROOT/build/src/cli/podpower}
SEEDS=${QUALITY_SEEDS:-1 2 3}
SCHEMAS=${QUALITY_SCHEMAS:-v0.7 v0.10}
COUPLINGS=${QUALITY_COUPLINGS:-1 0.5 0}
WORKLOADS=${QUALITY_WORKLOADS:-300}
HOURS=${QUALITY_HOURS:-6}
OUT=${QUALITY_OUT:-$(mktemp -d)}
START=1764000000
mkdir -p "$OUT"
PROM_PID=""
cleanup() { if [ -n "$PROM_PID" ]; then "$ROOT/tests/e2e/prometheus-stop.sh" "$PROM_PID" || true; fi; }
trap cleanup EXIT
quiet() { "$@" >/dev/null 2>>"$OUT/log.txt"; }

# Real samples: podpower encodes the published specs and joins the measured labels.
for sample in cluster-a cluster-b; do
  data="$ROOT/examples/data/$sample"
  [ -d "$data" ] || data="$ROOT/../shared/data/$sample"
  [ -f "$data/inference_requests.ndjson" ] || { echo "quality: no $sample sample, skipped" >&2; continue; }
  d="$OUT/$sample"
  mkdir -p "$d"
  quiet "$BIN" encode fit --input "$data/inference_requests.ndjson" --encoder "$d/enc.ppenc" --text hash
  quiet "$BIN" encode transform --input "$data/inference_requests.ndjson" --encoder "$d/enc.ppenc" \
    --out "$d/features.parquet"
  quiet "$BIN" join --features "$d/features.parquet" --labels "$data/kepler_labels.parquet" \
    --out "$d/train_rows.parquet"
  quiet "$BIN" evaluate --train "$d/train_rows.parquet" --aggregate --json "$d/eval.json"
done

for seed in $SEEDS; do
  for schema in $SCHEMAS; do
    for coupling in $COUPLINGS; do
      d="$OUT/sim-s$seed-$schema-c$coupling"
      mkdir -p "$d"
      quiet "$BIN" simulate --workloads "$WORKLOADS" --hours "$HOURS" --seed "$seed" \
        --kepler-schema "$schema" --request-coupling "$coupling" --start "$START" --out "$d/sim"
      END=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end'])" \
        "$d/sim/simulation.json")
      quiet "$ROOT/tests/e2e/prometheus-backfill.sh" "$d/sim/kepler.om" "$d/tsdb"
      read -r PORT PROM_PID < <("$ROOT/tests/e2e/prometheus-start.sh" "$d/tsdb" "$d/prom")
      quiet "$BIN" labels --prom "http://127.0.0.1:$PORT" --start "$START" --end "$END" --step 60 \
        --out "$d/labels.parquet"
      cleanup
      PROM_PID=""
      rm -rf "$d/tsdb" "$d/prom"
      quiet "$BIN" encode fit --input "$d/sim/inference_requests.ndjson" --encoder "$d/enc.ppenc" \
        --text hash
      quiet "$BIN" encode transform --input "$d/sim/inference_requests.ndjson" \
        --encoder "$d/enc.ppenc" --out "$d/features.parquet"
      quiet "$BIN" join --features "$d/features.parquet" --labels "$d/labels.parquet" \
        --out "$d/train_rows.parquet"
      quiet "$BIN" evaluate --train "$d/train_rows.parquet" --aggregate \
        --truth "$d/sim/truth_workloads.csv" --json "$d/eval.json"
    done
  done
done

/usr/bin/python3 - "$OUT" <<'EOF'
import glob, json, os, sys
rows = []
def pct(v):
    return "n/a" if v is None else f"{100 * v:.1f}%"
def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}"
print(f"{'data':<24} {'scheme':<30} {'model MAE':>9} {'best base':>9} {'ratio':>6} "
      f"{'MAPE':>7} {'oracle':>7} {'/orc':>5} {'unseen':>7} {'u.base':>7} {'ratio':>6} "
      f"{'cover':>6} {'worst kind':>10}")
worst_ratio = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "eval.json"))):
    e = json.load(open(path))
    name = os.path.basename(os.path.dirname(path))
    for s in e["schemes"]:
        model = s["methods"][0]
        base = min((m for m in s["methods"] if m["baseline"]), key=lambda m: m["mae"])
        oracle = s.get("oracle", {}).get("mape")
        unseen = next((g for g in s["by_family"] if g["key"] == "unseen family"), None)
        u_model = unseen["model"]["mape"] if unseen else None
        u_base = unseen["best_baseline"]["mape"] if unseen else None
        kinds = [g["coverage"] for g in s["by_kind"] if g["model"]["n"] >= 20]
        r = model["mae"] / base["mae"]
        worst_ratio = max(worst_ratio, r)
        print(f"{name:<24} {s['name'][:30]:<30} {model['mae']:>9.3f} {base['mae']:>9.3f} "
              f"{r:>6.3f} {pct(model['mape']):>7} {pct(oracle):>7} "
              f"{ratio(model['mape'], oracle):>5} {pct(u_model):>7} {pct(u_base):>7} "
              f"{ratio(u_model, u_base):>6} {pct(s['coverage']):>6} "
              f"{pct(min(kinds)) if kinds else 'n/a':>10}")
print(f"worst default/best-baseline MAE ratio: {worst_ratio:.3f} (goal <= 1.05)")
EOF
echo "quality: outputs in $OUT" >&2
