#!/usr/bin/env bash
# podpower labels against a real Prometheus: N pods x H hours of Kepler counters at 15 s
# (default 2,000 x 24 h, 11.5 M samples; set LABELS_BENCH_PODS / LABELS_BENCH_HOURS to shrink).
# Prints podpower's wall time and peak RSS, and the time Prometheus itself takes to answer the
# very same requests (podpower's --query-log replayed with curl, same run, same server).
# The backfilled TSDB is cached in $PODPOWER_BUILD/bench-labels-<pods>x<hours>h.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-$ROOT/build}
BIN=${PODPOWER_BIN:-$BUILD/src/cli/podpower}
PODS=${LABELS_BENCH_PODS:-2000}
HOURS=${LABELS_BENCH_HOURS:-24}
WORK=$BUILD/bench-labels-${PODS}x${HOURS}h
mkdir -p "$WORK"

if [ ! -e "$WORK/tsdb/.complete" ]; then
  echo "labels_bench: generating and backfilling $PODS pods x $HOURS h (one time, minutes)" >&2
  rm -rf "$WORK/tsdb"
  /usr/bin/python3 "$ROOT/bench/labels_bench_fixture.py" "$WORK/kepler.om" "$PODS" "$HOURS" \
    >"$WORK/range.txt"
  t0=$(date +%s.%N)
  "$ROOT/tests/e2e/prometheus-backfill.sh" "$WORK/kepler.om" "$WORK/tsdb"
  echo "labels_bench: backfill took $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
  rm -f "$WORK/kepler.om"
  touch "$WORK/tsdb/.complete"
fi
read -r START END <"$WORK/range.txt"

read -r PORT PID < <("$ROOT/tests/e2e/prometheus-start.sh" "$WORK/tsdb" "$WORK/run")
trap '"$ROOT/tests/e2e/prometheus-stop.sh" "$PID"' EXIT
URL=http://127.0.0.1:$PORT

# Warm Prometheus' page cache once so neither side pays for the first disk read.
curl -sfG "$URL/api/v1/query" --data-urlencode "query=count(count_over_time(kepler_container_joules_total[${HOURS}h]))" \
  --data-urlencode "time=$END" >/dev/null

run() {  # run <label> <mode>
  local log=$WORK/queries-$2.log out=$WORK/labels-$2.parquet
  rm -f "$log" "$out"
  /usr/bin/time -f "%e %M" -o "$WORK/time-$2.txt" \
    "$BIN" labels --prom "$URL" --start "$START" --end "$END" --step 15 --mode "$2" \
    --out "$out" --query-log "$log" 2>"$WORK/stderr-$2.txt"
  read -r wall rss_kb <"$WORK/time-$2.txt"
  # The same requests, answered by Prometheus alone (bodies discarded).
  local t0 t1 n
  t0=$(date +%s.%N)
  n=0
  while read -r method target; do
    curl -sf -o /dev/null "$URL$target"
    n=$((n + 1))
  done <"$log"
  t1=$(date +%s.%N)
  local prom
  prom=$(echo "$t1 - $t0" | bc)
  local rows
  rows=$(sed -n 's/.* pods, \([0-9]*\) rows.*/\1/p' "$WORK/stderr-$2.txt")
  printf '%-8s %6d pods %9s rows %4d requests | podpower %7.2f s, peak RSS %6.0f MB | prometheus+curl %7.2f s | ratio %.2fx\n' \
    "$2" "$PODS" "$rows" "$n" "$wall" "$(echo "$rss_kb / 1024" | bc -l)" "$prom" \
    "$(echo "$wall / $prom" | bc -l)"
}

echo "labels: $PODS pods x $HOURS h at 15 s step ($(( PODS * HOURS * 240 )) samples), Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}')"
run job job
run window window
echo "prometheus peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/"$PID"/status)"
