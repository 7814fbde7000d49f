#!/usr/bin/env bash
# `make bench` part: podpower serve under wrk, POST /predict over loopback.
# Hashed-text encoder, KNN model of 10,000 synthetic workloads (bench/serve_bench.cc).
# Prints req/s, p50/p99 latency and the server's RSS. Server and wrk share the machine's cores,
# so the numbers are a floor for a dedicated server.
#   bash bench/serve_bench.sh [build-dir]
# Environment: SERVE_BENCH_ROWS (10000), SERVE_BENCH_HASH_DIM (256), SERVE_BENCH_SECONDS (10),
# SERVE_BENCH_CONNECTIONS (16), SERVE_BENCH_THREADS (server threads, 16).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PODPOWER_BUILD:-${1:-$ROOT/build}}
BIN=${PODPOWER_BIN:-$BUILD/src/cli/podpower}
MAKER=$BUILD/bench/serve_bench
for f in "$BIN" "$MAKER"; do
  [ -x "$f" ] || { echo "serve_bench: $f not built" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "serve_bench: wrk not installed (apt-get install wrk)" >&2; exit 1; }
ROWS=${SERVE_BENCH_ROWS:-10000}
DIM=${SERVE_BENCH_HASH_DIM:-256}
SECONDS_=${SERVE_BENCH_SECONDS:-10}
CONNS=${SERVE_BENCH_CONNECTIONS:-16}
THREADS=${SERVE_BENCH_THREADS:-16}
WORK=$(mktemp -d /tmp/podpower-serve-bench.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

shape=$("$MAKER" "$WORK" "$ROWS" "$DIM")
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --encoder "$WORK/encoder.ppenc" --model "$WORK/model.ppknn" \
  --listen "127.0.0.1:$PORT" --threads "$THREADS" --watch-interval 0 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/request.json" \
  "http://127.0.0.1:$PORT/predict" >/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
# Warm-up, then the measured run.
PODPOWER_BENCH_BODY="$WORK/request.json" wrk -t2 -c"$CONNS" -d2s -s "$ROOT/bench/serve_bench.lua" \
  "http://127.0.0.1:$PORT/predict" >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
ticks0=$(cpu_ticks); batches0=$(metric podpower_predict_batches_total)
batched0=$(metric podpower_predict_batched_workloads_total)
PODPOWER_BENCH_BODY="$WORK/request.json" wrk -t2 -c"$CONNS" -d"${SECONDS_}s" --latency \
  -s "$ROOT/bench/serve_bench.lua" "http://127.0.0.1:$PORT/predict" >"$WORK/wrk.txt"
rss_peak=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
ticks1=$(cpu_ticks); batches1=$(metric podpower_predict_batches_total)
batched1=$(metric podpower_predict_batched_workloads_total)
hz=$(getconf CLK_TCK)
load=$(cut -d' ' -f1-3 /proc/loadavg)
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
read -r p50 p99 errors non2xx < <(sed -n 's/^LUA p50_us=\([0-9]*\) p99_us=\([0-9]*\) errors=\([0-9]*\) non2xx=\([0-9]*\)/\1 \2 \3 \4/p' "$WORK/wrk.txt")
printf 'serve /predict: model %s (hashed text, dim %s), %s connections, %s server threads, %s s, %s cores shared with wrk\n' \
  "$shape" "$DIM" "$CONNS" "$THREADS" "$SECONDS_" "$(nproc)"
printf '%-28s %12s\n' "requests/s" "$rps"
printf '%-28s %12s\n' "latency p50 (ms)" "$(awk -v v="$p50" 'BEGIN{printf "%.3f", v/1000}')"
printf '%-28s %12s\n' "latency p99 (ms)" "$(awk -v v="$p99" 'BEGIN{printf "%.3f", v/1000}')"
printf '%-28s %12s\n' "socket errors / non-2xx" "$errors / $non2xx"
total=$(awk -v r="$rps" -v s="$SECONDS_" 'BEGIN{printf "%d", r*s}')
printf '%-28s %12s\n' "server CPU s used" "$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')"
printf '%-28s %12s\n' "req per server CPU-second" "$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" -v n="$total" 'BEGIN{printf "%.0f", n/((b-a)/hz)}')"
printf '%-28s %12s\n' "mean /predict batch" "$(awk -v a="$batched1" -v b="$batched0" -v c="$batches1" -v d="$batches0" 'BEGIN{if (c>d) printf "%.2f", (a-b)/(c-d); else print "-"}')"
printf '%-28s %12s\n' "load average (1/5/15 min)" "$load"
printf '%-28s %12s\n' "server RSS idle (MiB)" "$(awk -v v="$rss_idle" 'BEGIN{printf "%.1f", v/1024}')"
printf '%-28s %12s\n' "server RSS peak (MiB)" "$(awk -v v="$rss_peak" 'BEGIN{printf "%.1f", v/1024}')"
printf '%-28s %12s\n' "goal" ">= 10000 req/s, p99 <= 1 ms"
