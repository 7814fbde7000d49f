#!/bin/sh
# Stops a server started by prometheus-start.sh (or victoria-metrics-start.sh), by pid: SIGTERM,
# then waits up to 10 s for it to exit, then SIGKILL.
# Usage: prometheus-stop.sh <pid>
set -u
pid=$1
kill "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
exit 0
