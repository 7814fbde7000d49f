#!/bin/sh
# Stops a VictoriaMetrics started by victoria-metrics-start.sh, by pid, and waits (up to 10 s) for
# it to exit (it flushes its in-memory parts on SIGTERM): the same stop as Prometheus'.
# Usage: victoria-metrics-stop.sh <pid>
exec "$(dirname "$0")/prometheus-stop.sh" "$@"
