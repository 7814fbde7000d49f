#!/bin/sh
# Starts a throwaway Prometheus on a free loopback port over an existing TSDB directory, waits
# until /-/ready answers, and prints "<port> <pid>" on stdout. The caller stops it by pid
# (prometheus-stop.sh <pid>). Retention is raised so fixed historic fixtures are not deleted.
# Usage: prometheus-start.sh <tsdb-dir> <work-dir> [extra prometheus flags...]
set -eu
data=$1
work=$2
shift 2
mkdir -p "$work"
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$work/prometheus.yml"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$data" \
  --storage.tsdb.retention.time=3650d --web.listen-address="127.0.0.1:$port" \
  "$@" >"$work/prometheus.log" 2>&1 </dev/null &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "prometheus-start: prometheus exited, see $work/prometheus.log" >&2
    exit 1
  fi
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then
    echo "prometheus-start: not ready after 30 s, see $work/prometheus.log" >&2
    kill "$pid"
    exit 1
  fi
  sleep 0.1
done
echo "$port $pid"
