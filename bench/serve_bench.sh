#!/usr/bin/env bash
# `make bench` part: podpower serve under wrk, POST /predict over loopback.
# Hashed-text encoder, KNN model of 10,000 synthetic workloads (bench/serve_bench.cc); wrk takes
# 200 different request bodies in turn. One row per number of open connections (latency grows
# with the queue: at a given rate, mean latency = connections / rate), then the HTTP layer alone
# (GET /healthz) as the ceiling of this machine. Server and wrk share the machine's cores, so
# the numbers are a floor for a dedicated server.
#   bash bench/serve_bench.sh [build-dir]
# Environment: SERVE_BENCH_ROWS (10000), SERVE_BENCH_HASH_DIM (256), SERVE_BENCH_SECONDS (10),
# SERVE_BENCH_CONNECTIONS ("1 4 16 64"), SERVE_BENCH_THREADS (server worker threads, default 16:
# serve's event loop holds idle keep-alive connections, only a complete request takes a worker).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=serve_bench
source "$ROOT/bench/serve_common.bash"
SECONDS_=${SERVE_BENCH_SECONDS:-10}
CONNECTIONS=${SERVE_BENCH_CONNECTIONS:-1 4 16 64}
THREADS=${SERVE_BENCH_THREADS:-16}
DIM=${SERVE_BENCH_HASH_DIM:-256}
serve_bench_start "${1:-}" --threads "$THREADS"
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/request.json" \
  "http://127.0.0.1:$PORT/predict" >/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
ms() { awk -v v="$1" 'BEGIN{printf "%.3f", v/1000}'; }
export PODPOWER_BENCH_BODIES="$WORK/requests.ndjson"

printf 'serve /predict: model %s (hashed text, dim %s), %s server threads, %s s per row, %s cores shared with wrk\n' \
  "$shape" "$DIM" "$THREADS" "$SECONDS_" "$(nproc)"
printf '%11s %10s %9s %9s %10s %8s %11s %12s %10s\n' connections 'req/s' 'p50 ms' 'p99 ms' \
  'p99.9 ms' errors 'server CPU' 'req/CPU-s' 'mean batch'
for c in $CONNECTIONS; do
  t=$((c < 2 ? c : 2))  # wrk threads; it needs at least one connection each
  wrk -t"$t" -c"$c" -d2s -s "$ROOT/bench/serve_bench.lua" "http://127.0.0.1:$PORT/predict" >/dev/null
  ticks0=$(cpu_ticks)
  batches0=$(metric podpower_predict_batches_total)
  batched0=$(metric podpower_predict_batched_workloads_total)
  wrk -t"$t" -c"$c" -d"${SECONDS_}s" -s "$ROOT/bench/serve_bench.lua" \
    "http://127.0.0.1:$PORT/predict" >"$WORK/wrk.txt"
  ticks1=$(cpu_ticks)
  batches1=$(metric podpower_predict_batches_total)
  batched1=$(metric podpower_predict_batched_workloads_total)
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  read -r p50 p99 p999 errors non2xx < <(sed -n 's/^LUA p50_us=\([0-9]*\) p99_us=\([0-9]*\) p999_us=\([0-9]*\) errors=\([0-9]*\) non2xx=\([0-9]*\)/\1 \2 \3 \4 \5/p' "$WORK/wrk.txt")
  cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')
  printf '%11s %10.0f %9s %9s %10s %8s %10ss %12.0f %10s\n' "$c" "$rps" "$(ms "$p50")" \
    "$(ms "$p99")" "$(ms "$p999")" "$((errors + non2xx))" "$cpu" \
    "$(awk -v r="$rps" -v s="$SECONDS_" -v cpu="$cpu" 'BEGIN{print (cpu > 0 ? r*s/cpu : 0)}')" \
    "$(awk -v a="$batched1" -v b="$batched0" -v c="$batches1" -v d="$batches0" 'BEGIN{if (c>d) printf "%.2f", (a-b)/(c-d); else print "-"}')"
done
rss_peak=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
wrk -t2 -c4 -d"${SECONDS_}s" --latency "http://127.0.0.1:$PORT/healthz" >"$WORK/health.txt"
printf '%-34s %s req/s, p99 %s\n' "HTTP layer alone (GET /healthz, 4 conn)" \
  "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/health.txt")" \
  "$(awk '$1 == "99%" {print $2}' "$WORK/health.txt")"
printf '%-34s %s\n' "load average (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %s / %s MiB\n' "server RSS idle / peak" \
  "$(awk -v v="$rss_idle" 'BEGIN{printf "%.1f", v/1024}')" \
  "$(awk -v v="$rss_peak" 'BEGIN{printf "%.1f", v/1024}')"
printf '%-34s %s\n' "goal" ">= 10000 req/s, p99 <= 1 ms"
