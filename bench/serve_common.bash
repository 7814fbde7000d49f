# Sourced by bench/serve_bench.sh and bench/serve_hostile.sh (not a benchmark itself: scripts/bench.sh
# runs bench/*.sh only). Expects ROOT (the repo) and BENCH (the script's name, for messages);
# `serve_bench_start BUILD-DIR|"" [serve flags...]` checks the binaries and wrk, makes the
# artifacts in WORK (a temporary folder removed on exit; copied to SERVE_BENCH_KEEP first when
# set), starts `podpower serve` on a free loopback port and waits for /readyz. Sets BIN, WORK,
# PORT, PID and shape ("N rows x D features").
serve_bench_start() {
  local build=${PODPOWER_BUILD:-${1:-$ROOT/build}}
  shift
  BIN=${PODPOWER_BIN:-$build/src/cli/podpower}
  local maker=$build/bench/serve_bench
  for f in "$BIN" "$maker"; do
    [ -x "$f" ] || { echo "$BENCH: $f not built" >&2; exit 1; }
  done
  command -v wrk >/dev/null || { echo "$BENCH: wrk not installed (apt-get install wrk)" >&2; exit 1; }
  WORK=$(mktemp -d "/tmp/podpower-$BENCH.XXXXXX")
  PID=""
  trap serve_bench_cleanup EXIT
  shape=$("$maker" "$WORK" "${SERVE_BENCH_ROWS:-10000}" "${SERVE_BENCH_HASH_DIM:-256}")
  PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" serve --encoder "$WORK/encoder.ppenc" --model "$WORK/model.ppknn" \
    --listen "127.0.0.1:$PORT" --watch-interval 0 "$@" 2>"$WORK/serve.log" &
  PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$WORK/serve.log" >&2
  exit 1
}

serve_bench_cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  [ -n "${SERVE_BENCH_KEEP:-}" ] && cp -r "$WORK" "$SERVE_BENCH_KEEP"
  rm -rf "$WORK"
}
