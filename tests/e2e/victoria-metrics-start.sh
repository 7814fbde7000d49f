#!/bin/sh
# Starts a throwaway single-node VictoriaMetrics (Debian's victoria-metrics, 1.79) on a free
# loopback port over a data directory, waits until /health answers, and prints "<port> <pid>" on
# stdout. The caller stops it by pid (victoria-metrics-stop.sh <pid>) and loads data with
# victoria-metrics-import.sh. Defaults chosen for tests over fixed historic data:
#   -retentionPeriod=100y        samples older than the retention are dropped at ingestion (the
#                                default is one month; the fixtures are from 2025)
#   -search.latencyOffset=0s     by default the last 30 s before now are hidden from queries
#   -search.disableCache         no rollup result cache: data imported after a query stays visible
# No deduplication (-dedup.minScrapeInterval unset), as in VictoriaMetrics' own default.
# Usage: victoria-metrics-start.sh <data-dir> <work-dir> [extra victoria-metrics flags...]
# (extra flags come last, so they override the defaults above).
set -eu
data=$1
work=$2
shift 2
mkdir -p "$work" "$data"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
victoria-metrics -storageDataPath="$data" -httpListenAddr="127.0.0.1:$port" \
  -retentionPeriod=100y -search.latencyOffset=0s -search.disableCache \
  "$@" >"$work/victoria-metrics.log" 2>&1 </dev/null &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "victoria-metrics-start: victoria-metrics exited, see $work/victoria-metrics.log" >&2
    exit 1
  fi
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then
    echo "victoria-metrics-start: not ready after 30 s, see $work/victoria-metrics.log" >&2
    kill "$pid"
    exit 1
  fi
  sleep 0.1
done
echo "$port $pid"
