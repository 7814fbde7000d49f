#!/bin/sh
# Imports OpenMetrics/Prometheus text into a running VictoriaMetrics through
# /api/v1/import/prometheus, one POST per file (a file named twice is imported twice: without
# -dedup.minScrapeInterval every sample is then stored twice), makes it searchable at once with
# /internal/force_flush, and checks that /api/v1/export returns as many samples as the files have
# sample lines (VictoriaMetrics drops samples outside -retentionPeriod with only a log line).
# Timestamps may be in seconds, as OpenMetrics and promtool want them (the same kepler.om the
# Prometheus tests backfill): VictoriaMetrics 1.79 reads a timestamp below 1e10 as seconds.
# "# EOF" and other comment lines are ignored.
# Each file is streamed (`curl -T`: bounded client memory; `--data-binary @file` would read it all
# into memory first) and its sample lines counted with LC_ALL=C grep (byte matching: a UTF-8
# locale makes grep many times slower over a large file, ~20 min for 20 GB).
# Usage: victoria-metrics-import.sh <base-url> <file> [<file>...]
set -eu
url=$1
shift
want=0
for f in "$@"; do
  if [ ! -r "$f" ]; then
    echo "victoria-metrics-import: cannot read $f" >&2
    exit 1
  fi
  # `|| true`: a refused connection (curl fails, code 000) reaches the message below.
  code=$(curl -s -o /dev/null -w '%{http_code}' -T "$f" -X POST "$url/api/v1/import/prometheus" ||
    true)
  if [ "$code" != 204 ]; then
    echo "victoria-metrics-import: $url/api/v1/import/prometheus answered HTTP $code for $f" >&2
    exit 1
  fi
  want=$((want + $(LC_ALL=C grep -cv -e '^#' -e '^[[:space:]]*$' "$f" || true)))
done
curl -sf "$url/internal/force_flush" >/dev/null
got=0
i=0
while [ "$got" != "$want" ] && [ "$i" -lt 20 ]; do
  got=$(curl -sf "$url/api/v1/export" --data-urlencode 'match[]={__name__!=""}' |
    /usr/bin/python3 -c 'import json, sys; print(sum(len(json.loads(l)["values"]) for l in sys.stdin if l.strip()))')
  [ "$got" = "$want" ] && break
  i=$((i + 1))
  sleep 0.1
done
if [ "$got" != "$want" ]; then
  echo "victoria-metrics-import: $url holds $got samples, the files have $want (outside -retentionPeriod? see its log)" >&2
  exit 1
fi
