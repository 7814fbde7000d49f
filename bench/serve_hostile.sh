#!/usr/bin/env bash
# `make bench` part (issue: hostile clients): podpower serve under wrk at 64 connections for 60 s,
# POST /predict with real requests mixed with 5% malformed and 1% oversized bodies
# (bench/serve_hostile.lua). Prints what was sent and answered (every malformed or oversized body
# must get a 4xx, no 5xx, no crash), the latency percentiles of the mix, and the server's RSS
# every 10 s (flat after warm-up = no leak).
#   bash bench/serve_hostile.sh [build-dir]
# Environment: HOSTILE_SECONDS (60), HOSTILE_CONNECTIONS (64), SERVE_BENCH_ROWS (10000),
# SERVE_BENCH_HASH_DIM (256).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=serve_hostile
source "$ROOT/bench/serve_common.bash"
SECONDS_=${HOSTILE_SECONDS:-60}
CONNS=${HOSTILE_CONNECTIONS:-64}
BODY_LIMIT=1048576
serve_bench_start "${1:-}" --max-body-bytes "$BODY_LIMIT"
export PODPOWER_BENCH_BODIES="$WORK/requests.ndjson"
export PODPOWER_BENCH_OVERSIZE=$((BODY_LIMIT + BODY_LIMIT / 2))
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

printf 'serve under hostile load: model %s, %s connections, %s s, body limit %s bytes\n' \
  "$shape" "$CONNS" "$SECONDS_" "$BODY_LIMIT"
rss_idle=$(rss)
wrk -t2 -c"$CONNS" -d"${SECONDS_}s" -s "$ROOT/bench/serve_hostile.lua" \
  "http://127.0.0.1:$PORT/predict" >"$WORK/wrk.txt" &
WRK=$!
samples=()
for _ in $(seq 1 $((SECONDS_ / 10))); do
  sleep 10
  kill -0 "$PID" 2>/dev/null || { echo "serve_hostile: the server died" >&2; cat "$WORK/serve.log" >&2; exit 1; }
  samples+=("$(rss)")
done
wait "$WRK"
kill -0 "$PID" 2>/dev/null || { echo "serve_hostile: the server died" >&2; exit 1; }
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "serve_hostile: /healthz fails after the run" >&2; exit 1; }
line=$(grep '^LUA ' "$WORK/wrk.txt") || { cat "$WORK/wrk.txt" >&2; exit 1; }
val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" ${line#LUA }"; }
good=$(val sent_good); bad=$(val sent_bad); big=$(val sent_big)
s2=$(val s2xx); s4=$(val s4xx); s5=$(val s5xx)
printf '%-32s %s good, %s malformed, %s oversized\n' "sent" "$good" "$bad" "$big"
printf '%-32s %s 2xx, %s 4xx, %s 5xx, %s other, %s socket errors\n' "answered" "$s2" "$s4" "$s5" \
  "$(val other)" "$(val socket_errors) (connect $(val connect), read $(val read), write $(val write), timeout $(val timeout))"
printf '%-32s %s req/s; p50 %s ms, p99 %s ms, p99.9 %s ms (the mix)\n' "latency" \
  "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk.txt")" \
  "$(awk -v v="$(val p50_us)" 'BEGIN{printf "%.2f", v/1000}')" \
  "$(awk -v v="$(val p99_us)" 'BEGIN{printf "%.2f", v/1000}')" \
  "$(awk -v v="$(val p999_us)" 'BEGIN{printf "%.2f", v/1000}')"
printf '%-32s idle %s, then every 10 s: %s MiB\n' "server RSS" "$rss_idle" "${samples[*]}"
printf '%-32s %s\n' "load average (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
# Verdict: requests still in flight when wrk stops are sent but not answered (at most one per
# connection), so answered 4xx may fall short of the bad ones sent by that much.
verdict=ok
[ "$s5" -eq 0 ] || verdict="5xx answers"
[ $((bad + big - s4)) -le "$CONNS" ] && [ "$s4" -le $((bad + big)) ] || verdict="4xx != malformed + oversized"
[ $((good - s2)) -le "$CONNS" ] || verdict="good requests not answered 2xx"
printf '%-32s %s\n' "verdict" "$verdict"
[ "$verdict" = ok ]
