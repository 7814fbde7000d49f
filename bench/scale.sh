#!/usr/bin/env bash
# Scale benchmark (issue 13): the whole pipeline on `podpower simulate` clusters of growing size.
#
# For each size WORKLOADSxHOURS in SCALE_SIZES: simulate -> promtool backfill -> Prometheus ->
# labels (window mode, --step 60) -> encode fit/transform -> join (default: the aggregated
# layout, bounded memory) -> train -> evaluate -> predict. Every stage runs under
# /usr/bin/time -f '%e %M'; the table gives its wall seconds and peak RSS, the label rows of the
# size, and the growth exponent of each stage's seconds and RSS from the previous size:
# log(t2/t1) / log(r2/r1), r = label rows (1.0 = linear in the data). Prometheus' own peak RSS
# (VmHWM while labels queried it) is the "prometheus" row; promtool's is "backfill".
# A size WORKLOADSxHOURS*DAYS (e.g. 3000x24*7) reuses WORKLOADSxHOURS's labels as DAYS
# date=YYYY-MM-DD/ partitions (hard links) and runs join (reading the folder), train, evaluate
# and predict on DAYS times the rows: a week of labels for the podpower stages when the
# simulator cannot make one (it holds the whole cluster in memory: ~3 GB per 1,000 workloads x
# 24 h, so 10000x24 or 3000x168 need ~30 / ~60 GB; such sizes are skipped, with a note, when
# MemAvailable is smaller).
# Environment:
#   SCALE_SIZES    "1000x24 3000x24 3000x24*7" (run in this order; the issue's full list is
#                  "1000x24 3000x24 10000x24 3000x168")
#   SCALE_OUT      work folder (default: a temporary one; kept, its path is printed)
#   SCALE_REUSE    1: reuse an existing labels.parquet / features of a size (skip simulate,
#                  promtool, Prometheus, labels, encode): to re-measure the podpower stages only
#   SCALE_JOIN_FLAGS   extra `podpower join` flags (e.g. "--layout wide" for the old path)
#   SCALE_TRAIN_FLAGS  extra `podpower train` flags (e.g. "--aggregate" with --layout wide)
#   SCALE_EVAL_FLAGS   extra `podpower evaluate` flags (default "--no-leave-one-out")
#   PODPOWER_BIN   the binary (default build/src/cli/podpower)
set -euo pipefail
set -f # sizes such as 3000x24*7 are not globs
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PODPOWER_BIN:-$ROOT/build/src/cli/podpower}
SIZES=${SCALE_SIZES:-1000x24 3000x24 3000x24*7}
OUT=${SCALE_OUT:-$(mktemp -d)}
REUSE=${SCALE_REUSE:-0}
JOIN_FLAGS=${SCALE_JOIN_FLAGS:-}
TRAIN_FLAGS=${SCALE_TRAIN_FLAGS:-}
EVAL_FLAGS=${SCALE_EVAL_FLAGS:---no-leave-one-out}
START=1764000000
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
if [ "$REUSE" = 1 ] && [ -f "$RESULTS" ]; then
  # Keep the reused stages' figures; the podpower stages after labels are measured again.
  grep -Pv '\t(join|train|evaluate|predict)\t' "$RESULTS" >"$RESULTS.keep" || true
  mv "$RESULTS.keep" "$RESULTS"
else
  : >"$RESULTS"
fi
PROM_PID=""
cleanup() { if [ -n "$PROM_PID" ]; then "$ROOT/tests/e2e/prometheus-stop.sh" "$PROM_PID" || true; fi; }
trap cleanup EXIT

# timed SIZE STAGE cmd...: runs cmd, appends "SIZE STAGE seconds peak_kB" to the results.
timed() {
  local size=$1 stage=$2
  shift 2
  local log="$OUT/${size//'*'/-days}/$stage.log"
  if ! /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" >"$log" 2>&1; then
    echo "scale: $size $stage failed, see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  read -r secs kb <"$OUT/time.txt"
  printf '%s\t%s\t%s\t%s\n' "$size" "$stage" "$secs" "$kb" >>"$RESULTS"
  printf 'scale: %-9s %-10s %8.1f s %8.0f MB\n' "$size" "$stage" "$secs" "$((kb / 1024))" >&2
}

for size in $SIZES; do
  d="$OUT/${size//'*'/-days}" # no glob character in paths podpower reads
  labels="$d/labels.parquet"
  if [[ $size == *'*'* ]]; then
    # DAYS copies of an earlier size's labels, as a hive folder.
    base=${size%'*'*}
    days=${size#*'*'}
    mkdir -p "$d"
    [ -f "$OUT/$base/labels.parquet" ] || { echo "scale: $size needs $base first" >&2; exit 1; }
    for i in $(seq 1 "$days"); do
      day=$(date -u -d "@$((START + (i - 1) * 86400))" +%F)
      mkdir -p "$d/labels/date=$day"
      ln -f "$OUT/$base/labels.parquet" "$d/labels/date=$day/labels.parquet"
    done
    labels="$d/labels"
    ln -sfn "$OUT/$base/sim" "$d/sim"
    cp "$OUT/$base/features.parquet" "$OUT/$base/enc.ppenc" "$d/"
    printf '%s\t%s\t%s\t%s\n' "$size" rows "$days" "$base" >>"$RESULTS"
  else
  workloads=${size%x*}
  hours=${size#*x}
  mkdir -p "$d"
  need_mb=$((workloads * ${hours%.*} * 130 / 1000))
  avail_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
  if { [ "$REUSE" != 1 ] || [ ! -f "$d/labels.parquet" ]; } && [ "$need_mb" -gt "$avail_mb" ]; then
    echo "scale: $size skipped: podpower simulate needs ~$need_mb MB, $avail_mb MB available" >&2
    continue
  fi
  if [ "$REUSE" != 1 ] || [ ! -f "$d/labels.parquet" ]; then
    rm -rf "$d/sim" "$d/tsdb" "$d/prom"
    timed "$size" simulate "$BIN" simulate --workloads "$workloads" --hours "$hours" --seed 1 \
      --start "$START" --out "$d/sim"
    END=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end'])" \
      "$d/sim/simulation.json")
    timed "$size" backfill "$ROOT/tests/e2e/prometheus-backfill.sh" "$d/sim/kepler.om" "$d/tsdb"
    rm -f "$d/sim/kepler.om" # the largest file; promtool has it in the TSDB now
    read -r PORT PROM_PID < <("$ROOT/tests/e2e/prometheus-start.sh" "$d/tsdb" "$d/prom")
    timed "$size" labels "$BIN" labels --prom "http://127.0.0.1:$PORT" --start "$START" \
      --end "$END" --step 60 --out "$d/labels.parquet"
    prom_kb=$(awk '/VmHWM/ {print $2}' "/proc/$PROM_PID/status")
    printf '%s\t%s\t%s\t%s\n' "$size" prometheus 0 "$prom_kb" >>"$RESULTS"
    cleanup
    PROM_PID=""
    rm -rf "$d/tsdb" "$d/prom"
    timed "$size" encode "$BIN" encode fit --input "$d/sim/inference_requests.ndjson" \
      --encoder "$d/enc.ppenc" --text hash
    timed "$size" transform "$BIN" encode transform --input "$d/sim/inference_requests.ndjson" \
      --encoder "$d/enc.ppenc" --out "$d/features.parquet"
  fi
  fi
  # shellcheck disable=SC2086 # the *_FLAGS are word lists
  timed "$size" join "$BIN" join --features "$d/features.parquet" --labels "$labels" \
    --out "$d/train_rows.parquet" $JOIN_FLAGS
  # shellcheck disable=SC2086
  timed "$size" train "$BIN" train --train "$d/train_rows.parquet" --out "$d/model.ppknn" \
    $TRAIN_FLAGS
  # shellcheck disable=SC2086
  timed "$size" evaluate "$BIN" evaluate --train "$d/train_rows.parquet" $TRAIN_FLAGS \
    $EVAL_FLAGS --json "$d/eval.json"
  timed "$size" predict "$BIN" predict --input "$d/sim/inference_requests.ndjson" \
    --encoder "$d/enc.ppenc" --model "$d/model.ppknn" --format ndjson --out "$d/predictions.ndjson"
done

/usr/bin/python3 - "$RESULTS" "$OUT" <<'EOF'
import collections, math, os, re, sys
results, out = sys.argv[1], sys.argv[2]
table = collections.OrderedDict()
sizes = []
copies = {}
for line in open(results):
    size, stage, secs, kb = line.rstrip("\n").split("\t")
    if size not in sizes:
        sizes.append(size)
    if stage == "rows":  # size made of `secs` copies of size `kb`'s labels
        copies[size] = (int(secs), kb)
        continue
    table[(size, stage)] = (float(secs), int(kb) / 1024)
def label_rows(size):
    # From the labels stage's own log ("... N rows ..."), blank when reused and gone.
    try:
        text = open(os.path.join(out, size.replace("*", "-days"), "labels.log")).read()
    except OSError:
        return None
    m = re.findall(r"([0-9][0-9,]*) rows", text)
    return int(m[0].replace(",", "")) if m else None
rows = {s: label_rows(s) for s in sizes}
for s, (k, base) in copies.items():
    rows[s] = rows.get(base) and rows[base] * k
def scale_of(size):
    if rows[size]:
        return rows[size]
    w, h = size.split("*")[0].split("x")
    k = copies.get(size, (1, ""))[0]
    return float(w) * float(h) * k
stages = []
for (_, stage) in table:
    if stage not in stages:
        stages.append(stage)
print("size       label rows  stage         seconds   peak MB   exp(s)  exp(MB)")
for i, size in enumerate(sizes):
    prev = sizes[i - 1] if i > 0 else None
    for stage in stages:
        if (size, stage) not in table:
            continue
        secs, mb = table[(size, stage)]
        es = em = ""
        if prev and (prev, stage) in table:
            ps, pm = table[(prev, stage)]
            ratio = scale_of(size) / scale_of(prev)
            if ratio > 1 and ps > 0.05 and secs > 0.05:
                es = f"{math.log(secs / ps) / math.log(ratio):.2f}"
            if ratio > 1 and pm > 0 and mb > 0:
                em = f"{math.log(mb / pm) / math.log(ratio):.2f}"
        r = rows[size]
        print(f"{size:<10} {r if r else '':>10}  {stage:<10} {secs:>10.1f} {mb:>9.0f} {es:>8} {em:>8}")
print("exp: growth exponent from the previous size, log(ratio of the figure) / log(ratio of "
      "label rows); prometheus: its peak RSS while labels queried it (its time is in labels)")
EOF
echo "scale: outputs in $OUT" >&2
