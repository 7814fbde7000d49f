#!/usr/bin/env bash
# usage: scripts/fuzz.sh [seconds-per-target] [target...]
#
# Builds the libFuzzer targets of fuzz/ with clang (ASan+UBSan) in build-fuzz/
# and runs each for the given time (default 60 s), one after the other (one
# core). Each starts from its seeds (fuzz/seeds/<target>, written by
# fuzz/make_seeds.py from the repo's files), its regression inputs
# (fuzz/regression/<target>) and what earlier runs found
# (build-fuzz/corpus/<target>). Every crash, timeout, out-of-memory or leak
# input is copied into fuzz/regression/<target>/ (commit it: `make test`
# replays that folder through fuzz/replay/), and the script exits 1.
# One summary line per target: runs, executions/s, coverage, corpus, findings.
#
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (compile jobs,
# default 1), FUZZ_TIMEOUT (seconds one input may take, default 10),
# FUZZ_RSS_MB (memory limit, default 2048), FUZZ_FLAGS (more libFuzzer flags,
# e.g. "-fork=1 -ignore_crashes=1" to go on past a known crash).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}

command -v clang++ >/dev/null || {
  echo "fuzz: clang++ not found (apt-get install clang libfuzzer-14-dev)" >&2
  exit 1
}
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S fuzz -B "$build" -G Ninja >/dev/null
fi
cmake --build "$build" -j "$jobs" >/dev/null
python3 fuzz/make_seeds.py >/dev/null

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/*_fuzzer.cc; do
    n=$(basename "$f" .cc)
    targets+=("${n%_fuzzer}")
  done
fi

# Longest input per target: big enough for real files of that format, small
# enough that mutations stay fast.
max_len() {
  case $1 in
    quantity) echo 64 ;;
    wordpiece | safetensors) echo 4096 ;;
    kubeconfig | prom_response | tokenizer_json) echo 8192 ;;
    *) echo 16384 ;;
  esac
}
dict() {
  case $1 in
    manifest | serve_yaml | kubeconfig) echo fuzz/dicts/yaml.dict ;;
    quantity) echo fuzz/dicts/quantity.dict ;;
    wordpiece) echo "" ;;
    *) echo fuzz/dicts/json.dict ;;
  esac
}

found=0
mkdir -p "$build/logs"
printf '%-18s %10s %8s %6s %6s %12s %s\n' target runs exec/s cov ft corpus findings
for t in "${targets[@]}"; do
  bin="$build/${t}_fuzzer"
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 1; }
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  regression="fuzz/regression/$t"
  mkdir -p "$corpus" "$artifacts" "$regression"
  log="$build/logs/$t.log"
  d=$(dict "$t")
  status=0
  "$bin" "$corpus" "fuzz/seeds/$t" "$regression" \
    -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss_mb" \
    -max_len="$(max_len "$t")" -artifact_prefix="$artifacts/" \
    -print_final_stats=1 ${d:+-dict="$d"} ${FUZZ_FLAGS:-} >"$log" 2>&1 ||
    status=$?
  findings=0
  for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* \
    "$artifacts"/leak-*; do
    [ -e "$f" ] || continue
    cp -n "$f" "$regression/"
    rm -f "$f"
    findings=$((findings + 1))
  done
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ -z "$runs" ]; then # -fork: no final stats; "#N: ... exec/s N ..."
    runs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
    speed=$(sed -n 's/.* exec\/s \([0-9]*\).*/\1/p' <<<"$last")
  fi
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\(\/[0-9]*[a-zA-Z]*\)\?\).*/\1/p' <<<"$last")
  printf '%-18s %10s %8s %6s %6s %12s %s\n' "$t" "${runs:-?}" "${speed:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$([ "$findings" -gt 0 ] && echo "$findings in $regression (log: $log)" ||
      { [ "$status" -ne 0 ] && echo "exit $status (log: $log)" || echo none; })"
  if [ "$findings" -gt 0 ] || [ "$status" -ne 0 ]; then found=1; fi
done
exit $found
