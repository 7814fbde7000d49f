#!/usr/bin/env bash
# Scale benchmark (issue 13): the whole pipeline on `podpower simulate` clusters of growing size.
#
# For each size WORKLOADSxHOURS in SCALE_SIZES: simulate -> load the store (SCALE_STORE) ->
# labels (window mode, --step 60) -> encode fit/transform -> join (default: the aggregated
# layout, bounded memory) -> train -> evaluate -> predict. Every stage runs under
# /usr/bin/time -f '%e %M %U %S'; the table gives its wall seconds, CPU seconds (user + sys: the
# machine is shared, so wall time is inflated by other people's work while CPU time is not),
# peak RSS, the label rows of the size, and the growth exponent of each stage's wall seconds, CPU
# seconds and RSS from the previous size: log(t2/t1) / log(r2/r1), r = label rows (1.0 = linear
# in the data). A "podpower" row per size sums the podpower stages after the store (labels to
# predict): the issue's "full run excluding the simulator and the store".
# Stores (SCALE_STORE):
#   prometheus        promtool backfills kepler.om into a TSDB ("backfill" row: promtool's own
#                     time and RSS), then Prometheus serves labels ("prometheus" row: its CPU
#                     seconds and peak RSS, VmHWM, over start-up and the labels queries; its wall
#                     seconds are the labels stage's). promtool holds the whole file's series in
#                     memory (~20 GB at 10,000 workloads x 24 h, Prometheus ~11 GB), so sizes
#                     that would not fit in MemAvailable are skipped with a note.
#   victoria-metrics  Debian's single-node VictoriaMetrics (tests/e2e/victoria-metrics-start.sh /
#                     -stop.sh), kepler.om streamed to /api/v1/import/prometheus by `curl -T` in
#                     one POST ("vm-import" row: curl's wall seconds; "vm:import": the server's
#                     CPU seconds and peak RSS while importing; "vm:labels": the same while labels
#                     queried it). Not tests/e2e/victoria-metrics-import.sh: it streams too,
#                     but its check exports every sample back through Python (every sample of
#                     20-40 GB of text here); here the check is the server's
#                     vm_rows_inserted_total{type="prometheus"} against the file's sample lines,
#                     and no rows ignored. Flags beyond the test defaults: series
#                     and query caps raised (a 10,000-workload day has more pods than
#                     -search.maxSeries' 30,000), -memory.allowedPercent=20 (the machine is
#                     shared; the default 60% lets its caches take 14 GB).
# The simulator streams kepler.om (~140 MB peak RSS at 10,000 workloads x 24 h; the file is
# ~84 kB per workload-hour at the default 30 s scrapes: 20 GB for 10000x24, 42 GB for 3000x168);
# a size is skipped, with a note, when the disk of SCALE_OUT has less room than that.
# A size WORKLOADSxHOURS*DAYS (e.g. 3000x24*7) reuses WORKLOADSxHOURS's labels as DAYS
# date=YYYY-MM-DD/ partitions (hard links) and runs join (reading the folder), train, evaluate
# and predict on DAYS times the rows: a cheap week for the podpower stages (3000x168 is the real
# one).
# Environment:
#   SCALE_SIZES    "1000x24 3000x24 3000x24*7" (run in this order; the issue's full list is
#                  "1000x24 3000x24 10000x24 3000x168")
#   SCALE_STORE    prometheus (default) or victoria-metrics
#   SCALE_OUT      work folder (default: a temporary one; kept, its path is printed)
#   SCALE_REUSE    1: reuse an existing labels.parquet / features of a size (skip simulate,
#                  the store, labels, encode): to re-measure the podpower stages only; a size
#                  without labels but with a finished simulation (sim/simulation.json, kepler.om
#                  and its row in results.tsv) starts at the store
#   SCALE_JOIN_FLAGS   extra `podpower join` flags (e.g. "--layout wide" for the old path)
#   SCALE_TRAIN_FLAGS  extra `podpower train` flags (e.g. "--aggregate" with --layout wide)
#   SCALE_EVAL_FLAGS   extra `podpower evaluate` flags (default "--no-leave-one-out")
#   PODPOWER_BIN   the binary (default build/src/cli/podpower; others relink it while a long
#                  run goes on, so copy it first and point here)
set -euo pipefail
set -f # sizes such as 3000x24*7 are not globs
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PODPOWER_BIN:-$ROOT/build/src/cli/podpower}
SIZES=${SCALE_SIZES:-1000x24 3000x24 3000x24*7}
STORE=${SCALE_STORE:-prometheus}
REUSE=${SCALE_REUSE:-0}
JOIN_FLAGS=${SCALE_JOIN_FLAGS:-}
TRAIN_FLAGS=${SCALE_TRAIN_FLAGS:-}
EVAL_FLAGS=${SCALE_EVAL_FLAGS:---no-leave-one-out}
START=1764000000
case $STORE in
  prometheus | victoria-metrics) ;;
  *) echo "scale: SCALE_STORE must be prometheus or victoria-metrics, not '$STORE'" >&2; exit 2 ;;
esac
OUT=${SCALE_OUT:-$(mktemp -d)}
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
if [ "$REUSE" = 1 ] && [ -f "$RESULTS" ]; then
  # Keep the reused stages' figures; the podpower stages after labels are measured again.
  grep -Pv '\t(join|train|evaluate|predict)\t' "$RESULTS" >"$RESULTS.keep" || true
  mv "$RESULTS.keep" "$RESULTS"
else
  : >"$RESULTS"
fi
SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then "$ROOT/tests/e2e/prometheus-stop.sh" "$SERVER_PID" || true; fi; }
trap cleanup EXIT

# timed SIZE STAGE cmd...: runs cmd, appends "SIZE STAGE seconds peak_kB user sys" to the results.
timed() {
  local size=$1 stage=$2
  shift 2
  local log="$OUT/${size//'*'/-days}/$stage.log"
  if ! /usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" "$@" >"$log" 2>&1; then
    echo "scale: $size $stage failed, see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  read -r secs kb user sys <"$OUT/time.txt"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$stage" "$secs" "$kb" "$user" "$sys" >>"$RESULTS"
  printf 'scale: %-9s %-10s %8.1f s %8.1f cpu s %8.0f MB\n' "$size" "$stage" "$secs" \
    "$(echo "$user + $sys" | bc)" "$((kb / 1024))" >&2
}
# server_cpu PID: the server's user and sys CPU seconds so far (/proc/PID/stat, clock ticks).
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f %.2f\n", $12 / hz, $13 / hz}' \
    "/proc/$1/stat"
}
# server_row SIZE STAGE PID WALL USER0 SYS0: a results row for a server phase: its wall seconds
# (measured by the caller), peak RSS so far (VmHWM) and CPU seconds since USER0/SYS0.
server_row() {
  local size=$1 stage=$2 pid=$3 wall=$4 u0=$5 s0=$6 u1 s1 kb
  read -r u1 s1 < <(server_cpu "$pid")
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$stage" "$wall" "$kb" "$(echo "$u1 - $u0" | bc)" \
    "$(echo "$s1 - $s0" | bc)" >>"$RESULTS"
  printf 'scale: %-9s %-10s %8.1f s %8.1f cpu s %8.0f MB (server)\n' "$size" "$stage" "$wall" \
    "$(echo "$u1 - $u0 + $s1 - $s0" | bc)" "$((kb / 1024))" >&2
}
last_secs() { tail -1 "$RESULTS" | cut -f3; }

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
    printf '%s\t%s\t%s\t%s\t0\t0\n' "$size" rows "$days" "$base" >>"$RESULTS"
  else
  workloads=${size%x*}
  hours=${size#*x}
  mkdir -p "$d"
  if [ "$REUSE" != 1 ] || [ ! -f "$d/labels.parquet" ]; then
    wh=$((workloads * ${hours%.*}))
    disk_mb=$(df -Pm "$d" | awk 'NR == 2 {print $4}')
    avail_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
    om_mb=$((wh * 84 / 1000))
    if [ "$om_mb" -gt "$disk_mb" ]; then
      echo "scale: $size skipped: kepler.om needs ~$om_mb MB of disk, $disk_mb MB free in $d" >&2
      continue
    fi
    # promtool ~20 GB at 10,000 x 24 h (measured), proportional to the series' samples.
    if [ "$STORE" = prometheus ] && [ "$((wh / 12))" -gt "$avail_mb" ]; then
      echo "scale: $size skipped: promtool needs ~$((wh / 12)) MB, $avail_mb MB available" \
        "(SCALE_STORE=victoria-metrics loads it in bounded memory)" >&2
      continue
    fi
    rm -rf "$d/tsdb" "$d/prom" "$d/vm-data" "$d/vm"
    if [ "$REUSE" = 1 ] && [ -f "$d/sim/simulation.json" ] && [ -f "$d/sim/kepler.om" ] &&
      grep -Pq "^$size\tsimulate\t" "$RESULTS"; then
      echo "scale: $size: reusing the simulation in $d/sim" >&2
    else
      rm -rf "$d/sim"
      timed "$size" simulate "$BIN" simulate --workloads "$workloads" --hours "$hours" \
        --seed 1 --start "$START" --out "$d/sim"
    fi
    END=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end'])" \
      "$d/sim/simulation.json")
    if [ "$STORE" = prometheus ]; then
      timed "$size" backfill "$ROOT/tests/e2e/prometheus-backfill.sh" "$d/sim/kepler.om" "$d/tsdb"
      rm -f "$d/sim/kepler.om" # the largest file; promtool has it in the TSDB now
      read -r PORT SERVER_PID < <("$ROOT/tests/e2e/prometheus-start.sh" "$d/tsdb" "$d/prom")
      timed "$size" labels "$BIN" labels --prom "http://127.0.0.1:$PORT" --start "$START" \
        --end "$END" --step 60 --out "$d/labels.parquet"
      server_row "$size" prometheus "$SERVER_PID" "$(last_secs)" 0 0 # from its start
    else
      # LC_ALL=C: in a UTF-8 locale grep takes ~20 min over the 20 GB of 10000x24, ~1 min here.
      samples=$(LC_ALL=C grep -cv -e '^#' -e '^[[:space:]]*$' "$d/sim/kepler.om" || true)
      read -r PORT SERVER_PID < <("$ROOT/tests/e2e/victoria-metrics-start.sh" "$d/vm-data" \
        "$d/vm" -search.maxSeries=10000000 -search.maxUniqueTimeseries=10000000 \
        -search.maxQueryDuration=10m -memory.allowedPercent=20)
      url="http://127.0.0.1:$PORT"
      read -r u0 s0 < <(server_cpu "$SERVER_PID")
      timed "$size" vm-import curl -sS -f -T "$d/sim/kepler.om" -X POST \
        "$url/api/v1/import/prometheus"
      curl -sf "$url/internal/force_flush" >/dev/null
      server_row "$size" vm:import "$SERVER_PID" "$(last_secs)" "$u0" "$s0"
      metrics=$(curl -sf "$url/metrics")
      got=$(awk '/^vm_rows_inserted_total\{type="prometheus"\}/ {print $2}' <<<"$metrics")
      ignored=$(awk '/^vm_rows_ignored_total/ {s += $2} END {print s + 0}' <<<"$metrics")
      if [ "$got" != "$samples" ] || [ "$ignored" != 0 ]; then
        echo "scale: $size: VictoriaMetrics inserted $got samples (ignored $ignored)," \
          "kepler.om has $samples; see $d/vm/victoria-metrics.log" >&2
        exit 1
      fi
      rm -f "$d/sim/kepler.om"
      read -r u0 s0 < <(server_cpu "$SERVER_PID")
      timed "$size" labels "$BIN" labels --prom "$url" --start "$START" \
        --end "$END" --step 60 --out "$d/labels.parquet"
      server_row "$size" vm:labels "$SERVER_PID" "$(last_secs)" "$u0" "$s0"
      du -sm "$d/vm-data" | awk -v s="$size" '{print "scale: " s " VictoriaMetrics data: " $1 " MB"}' >&2
    fi
    cleanup
    SERVER_PID=""
    rm -rf "$d/tsdb" "$d/prom" "$d/vm-data"
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

/usr/bin/python3 - "$RESULTS" "$OUT" <<'PY'
import collections, math, os, re, sys
results, out = sys.argv[1], sys.argv[2]
table = collections.OrderedDict()
sizes = []
copies = {}
PODPOWER = ["labels", "encode", "transform", "join", "train", "evaluate", "predict"]
for line in open(results):
    f = line.rstrip("\n").split("\t")
    size, stage, secs, kb = f[:4]
    user, sys_ = (f[4], f[5]) if len(f) >= 6 else ("nan", "nan")
    if size not in sizes:
        sizes.append(size)
    if stage == "rows":  # size made of `secs` copies of size `kb`'s labels
        copies[size] = (int(secs), kb)
        continue
    table[(size, stage)] = (float(secs), float(user) + float(sys_), int(kb) / 1024)
for size in sizes:  # the podpower stages after the store, summed (peak: the largest)
    got = [table[(size, s)] for s in PODPOWER if (size, s) in table]
    if len(got) == len(PODPOWER):  # not for WxH*DAYS (join..predict only)
        table[(size, "podpower")] = (sum(g[0] for g in got), sum(g[1] for g in got),
                                     max(g[2] for g in got))
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
def exponent(now, before, ratio):
    if ratio > 1 and before > 0.05 and now > 0.05 and not math.isnan(now + before):
        return f"{math.log(now / before) / math.log(ratio):.2f}"
    return ""
print("size        label rows  stage         wall s    CPU s   peak MB  exp(wall) exp(CPU) exp(MB)")
for i, size in enumerate(sizes):
    prev = sizes[i - 1] if i > 0 else None
    for stage in stages:
        if (size, stage) not in table:
            continue
        secs, cpu, mb = table[(size, stage)]
        ew = ec = em = ""
        if prev and (prev, stage) in table:
            ps, pc, pm = table[(prev, stage)]
            ratio = scale_of(size) / scale_of(prev)
            ew, ec, em = exponent(secs, ps, ratio), exponent(cpu, pc, ratio), exponent(mb, pm, ratio)
        r = rows[size]
        print(f"{size:<11} {r if r else '':>10}  {stage:<10} {secs:>9.1f} {cpu:>8.1f} {mb:>9.0f} "
              f"{ew:>9} {ec:>8} {em:>7}")
print("exp: growth exponent from the previous size, log(ratio of the figure) / log(ratio of "
      "label rows). podpower: the stages labels..predict summed (peak: the largest). "
      "prometheus, vm:import, vm:labels: the server process' own CPU seconds and peak RSS (VmHWM); "
      "their wall seconds are those of backfill/labels, vm-import, labels")
PY
echo "scale: outputs in $OUT" >&2
