#!/usr/bin/env bash
# Crash consistency of every podpower command that writes a file (docs/formats.md, "Crash
# consistency"): each is killed with SIGKILL at many points of a run that replaces an existing
# output, and after every kill each target must be byte-identical to the complete previous file
# (or still absent when there was none) or to the complete new one; never partial. Temporary files
# must not pile up: a killed run leaves at most one per target, and the next run that writes into
# the folder removes it (after the final complete run, none is left).
#
# Kill points per command: 10 by time (5%, 15%, ..., 95% of the duration of a complete run,
# measured first on this machine) and 3 by bytes (as soon as a temporary output file exists, has
# >= 1 byte, has >= half the size of the new output), via tests/cli/crash_kill.py.
#
#   encode fit, encode transform, join, train, evaluate --report/--json, collect from-file --out,
#   simulate (a folder: every file on its own is old or new, see docs/formats.md), the embedding
#   cache (encode transform --sbert-model ... --embedding-cache; a tiny random BERT folder written
#   here), labels --mode window (to a file and to a folder of day partitions) and --mode job
#   (simulate -> promtool -> a real Prometheus; skipped with the reason when prometheus/promtool
#   are missing).
# collect watch --output appends instead: killed at 8 times, every complete line must be JSON, and
# the next watch drops a partial last line (a real kube-apiserver from tests/e2e/kube-up.sh;
# skipped with the reason when none can be started).
#
# Usage: crash_consistency_test.sh PODPOWER_BINARY SOURCE_DIR [PYTHON]
# KEEP_WORK=1 keeps the work folder of a failed run; CRASH_ONLY="join simulate ..." runs only the
# named cases (the names of the summary). Every process it starts is stopped by pid.
# Registered with CTest as CliTest.CrashConsistency (label integration).
set -euo pipefail

BIN=$(realpath "${1:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
SRC=$(realpath "${2:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
PY=${3:-/usr/bin/python3}
A=$SRC/examples/data/cluster-a
B=$SRC/examples/data/cluster-b
W=$(mktemp -d "${TMPDIR:-/tmp}/podpower-crash.XXXXXX")
PROM_PID="" WATCH_PID="" KUBE_DIR=""
cleanup() {
  local rc=$?
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
  [ -n "$PROM_PID" ] && "$SRC/tests/e2e/prometheus-stop.sh" "$PROM_PID"
  [ -n "$KUBE_DIR" ] && "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1
  if [ "$rc" = 0 ] || [ -z "${KEEP_WORK:-}" ]; then rm -rf "$W"; else echo "work folder kept: $W"; fi
  exit "$rc"
}
trap cleanup EXIT

# A private copy of the binary: the test runs ~200 processes over minutes, and a rebuild
# relinking BIN meanwhile must not change (or briefly remove) the program under test.
cp "$BIN" "$W/podpower"
BIN=$W/podpower
fail() { echo "FAIL: $*" >&2; exit 1; }
section() { printf '\n== %s\n' "$*"; }
# must NAME CMD...: runs to completion; fails the test with its stderr when it exits non-zero.
must() {
  local name=$1
  shift
  if ! "$@" >"$W/$name.out" 2>"$W/$name.err"; then
    cat "$W/$name.err" >&2
    fail "$name: exit status non-zero: $*"
  fi
}
# Temporary output files under a folder: AtomicFile's ".<name>.podpower-tmp-<pid>-<random>" and
# DuckDB's "tmp_" copies of them.
temps() { find "$1" -name '*.podpower-tmp-*' | sort; }
# Files of a case folder (relative paths), temporary ones left out.
targets_of() { (cd "$1" && find . -type f ! -name '*.podpower-tmp-*' | sed 's|^\./||' | sort); }

SUMMARY=()
# crash_case NAME DIR OLD -- CMD...
#   DIR: the folder the command writes into (its targets only). OLD: a folder holding the previous
#   version of the targets (a target missing from OLD is absent before the run). The command is run
#   once to completion from OLD's state to get NEW (and its duration), then killed at each point,
#   each time from OLD's state, and finally run to completion once more.
crash_case() {
  local name=$1 dir=$2 old=$3
  shift 4
  if [ -n "${CRASH_ONLY:-}" ] && [[ " $CRASH_ONLY " != *" $name "* ]]; then
    echo "   (not run: CRASH_ONLY)"
    return 0
  fi
  local new=$W/ref-$name
  reset_old() {
    find "$dir" -type f ! -name '*.podpower-tmp-*' -delete
    (cd "$old" && find . -type f -print0 | while IFS= read -r -d '' f; do
      mkdir -p "$dir/$(dirname "$f")"; cp -p "$f" "$dir/$f"; done)
  }
  mkdir -p "$dir"
  reset_old
  local t0 t1
  t0=$(date +%s.%N)
  must "$name-reference" "$@"
  t1=$(date +%s.%N)
  rm -rf "$new"
  cp -a "$dir" "$new"
  [ -z "$(temps "$new")" ] || fail "$name: a complete run left temporary files: $(temps "$new")"
  local duration
  duration=$("$PY" -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$t0" "$t1")
  diff -rq "$old" "$new" >/dev/null && fail "$name: the new output equals the old one; the test could not tell them apart"
  local half
  half=$(find "$new" -type f -printf '%s\n' | sort -n | tail -1)
  half=$((half / 2))
  local points=()
  for pct in 5 15 25 35 45 55 65 75 85 95; do points+=("time:$pct"); done
  points+=("bytes:0" "bytes:1" "bytes:$half")
  local n_old=0 n_new=0 n_mixed=0 n_temp=0 n_exited=0 outcome point
  local n_targets
  n_targets=$(targets_of "$new" | wc -l)
  for point in "${points[@]}"; do
    reset_old
    case $point in
      time:*)
        local secs
        secs=$("$PY" -c 'import sys; print(float(sys.argv[1]) * int(sys.argv[2]) / 100)' "$duration" "${point#time:}")
        outcome=$("$PY" "$SRC/tests/cli/crash_kill.py" time "$secs" -- "$@")
        ;;
      bytes:*)
        # The folder of the largest output file (labels --out DIR/ writes into date=.../).
        local sub big
        outcome=""
        big=$(cd "$new" && find . -type f -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2-)
        sub=$dir/$(dirname "$big")
        outcome=$("$PY" "$SRC/tests/cli/crash_kill.py" bytes "$sub" "${point#bytes:}" -- "$@")
        ;;
    esac
    case $outcome in killed) ;; "exited 0") n_exited=$((n_exited + 1)) ;; *) fail "$name @ $point: $outcome" ;; esac
    # Each target: the complete old file (or absent, as before) or the complete new one.
    local f saw_old=0 saw_new=0
    while IFS= read -r f; do
      [ -n "$f" ] || continue
      if [ ! -e "$new/$f" ]; then
        # Only the old run writes it (simulate's manifests of other names): stays as it was.
        cmp -s "$dir/$f" "$old/$f" || fail "$name @ $point: $f (not written by the new run) changed"
      elif [ -e "$old/$f" ] && cmp -s "$old/$f" "$new/$f"; then
        cmp -s "$dir/$f" "$new/$f" || fail "$name @ $point: $f is neither the old nor the new file"
      elif [ -e "$old/$f" ] && cmp -s "$dir/$f" "$old/$f"; then
        saw_old=1
      elif [ -e "$new/$f" ] && cmp -s "$dir/$f" "$new/$f"; then
        saw_new=1
      else
        fail "$name @ $point: $f is neither the old nor the new file ($(stat -c %s "$dir/$f") bytes)"
      fi
    done < <(targets_of "$dir")
    # A target the old state lacked and the new one has may be absent: that is "old" too.
    if [ "$saw_old" = 1 ] && [ "$saw_new" = 1 ]; then n_mixed=$((n_mixed + 1))
    elif [ "$saw_new" = 1 ]; then n_new=$((n_new + 1))
    else n_old=$((n_old + 1)); fi
    local left
    left=$(temps "$dir" | wc -l)
    [ "$left" -gt 0 ] && n_temp=$((n_temp + 1))
    # No piling up: leftovers of earlier kills are gone once a later run reached its writer. A
    # killed run leaves at most its own temporary file per target, plus DuckDB's tmp_ copy, plus
    # those of the previous kill when this one came before the writer started.
    [ "$left" -le $((4 * n_targets)) ] || fail "$name @ $point: $left temporary files pile up: $(temps "$dir")"
  done
  # The next complete run removes what the kills left and writes the new files.
  reset_old
  must "$name-final" "$@"
  [ -z "$(temps "$dir")" ] || fail "$name: temporary files left after a complete run: $(temps "$dir")"
  diff -r "$new" "$dir" >/dev/null || fail "$name: the final run's output differs from the reference run's"
  local line
  line=$(printf '%-22s %5.2fs  13 kills: %2d old, %2d new, %2d mixed (per-file), %2d left a temp file, %2d ended before the kill' \
    "$name" "$duration" "$n_old" "$n_new" "$n_mixed" "$n_temp" "$n_exited")
  echo "   ok: $line"
  SUMMARY+=("$line")
}
# Like crash_case for a single file TARGET: OLD_FILE is its previous content ("" = absent).
crash_file() {
  local name=$1 target=$2 old_file=$3
  shift 4
  local old=$W/old-$name
  rm -rf "$old"
  mkdir -p "$old"
  [ -n "$old_file" ] && cp "$old_file" "$old/$(basename "$target")"
  crash_case "$name" "$(dirname "$target")" "$old" -- "$@"
}

mkdir -p "$W/in"
section "inputs: encoders and features of cluster-a (new) and cluster-b (old)"
must fit_a "$BIN" encode fit --input "$A/inference_requests.ndjson" --out "$W/in/enc_a.joblib" --no-sbert
must fit_b "$BIN" encode fit --input "$B/inference_requests.ndjson" --out "$W/in/enc_b.joblib" --no-sbert
must tr_a "$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/in/enc_a.joblib" \
  --out "$W/in/feat_a.parquet"
must tr_b "$BIN" encode transform --input "$B/inference_requests.ndjson" --encoder "$W/in/enc_b.joblib" \
  --out "$W/in/feat_b.parquet"
must join_a "$BIN" join --features "$W/in/feat_a.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/in/rows_a.parquet"
must join_b "$BIN" join --features "$W/in/feat_b.parquet" --labels "$B/kepler_labels.parquet" \
  --out "$W/in/rows_b.parquet"
must train_b "$BIN" train --train "$W/in/rows_b.parquet" --target energy_step_j --out "$W/in/model_b.joblib"
must eval_b "$BIN" evaluate --train "$W/in/rows_b.parquet" --report "$W/in/report_b.html" \
  --json "$W/in/scores_b.json" --no-leave-one-out
mkdir -p "$W/in/eval_old"
cp "$W/in/report_b.html" "$W/in/eval_old/report.html"
cp "$W/in/scores_b.json" "$W/in/eval_old/scores.json"

section "encode fit"
crash_file encode_fit "$W/fit/encoder.joblib" "$W/in/enc_b.joblib" -- \
  "$BIN" encode fit --input "$A/inference_requests.ndjson" --out "$W/fit/encoder.joblib" --no-sbert
section "encode transform"
crash_file encode_transform "$W/transform/features.parquet" "$W/in/feat_b.parquet" -- \
  "$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/in/enc_a.joblib" \
  --out "$W/transform/features.parquet"
section "join"
crash_file join "$W/join/train_rows.parquet" "$W/in/rows_b.parquet" -- \
  "$BIN" join --features "$W/in/feat_a.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/join/train_rows.parquet"
section "train"
crash_file train "$W/train/model.joblib" "$W/in/model_b.joblib" -- \
  "$BIN" train --train "$W/in/rows_a.parquet" --target energy_step_j --out "$W/train/model.joblib"
section "evaluate --report --json"
crash_case evaluate "$W/evaluate" "$W/in/eval_old" -- \
  "$BIN" evaluate --train "$W/in/rows_a.parquet" --report "$W/evaluate/report.html" \
  --json "$W/evaluate/scores.json" --no-leave-one-out
section "collect from-file --out"
must collect_old "$BIN" collect from-file --out "$W/in/collect_old.ndjson" "$SRC/examples/manifests/web.yaml" \
  --skip-unknown
crash_file collect_from_file "$W/collect/records.ndjson" "$W/in/collect_old.ndjson" -- \
  "$BIN" collect from-file --out "$W/collect/records.ndjson" --skip-unknown "$SRC"/examples/manifests/*.yaml
section "collect from-file --out (no previous file)"
crash_file collect_new_file "$W/collect2/records.ndjson" "" -- \
  "$BIN" collect from-file --out "$W/collect2/records.ndjson" --skip-unknown "$SRC"/examples/manifests/*.yaml

section "simulate (a folder of files)"
START=1764000000
must sim_old "$BIN" simulate --workloads 24 --hours 2 --seed 3 --start "$START" --out "$W/in/sim_old"
crash_case simulate "$W/sim" "$W/in/sim_old" -- \
  "$BIN" simulate --workloads 24 --hours 2 --seed 7 --start "$START" --out "$W/sim"

section "embedding cache (encode transform --sbert-model --embedding-cache)"
# A tiny random BERT sentence-transformers folder (the layout text/random_model.h writes): no
# network, no torch.
"$PY" - "$W/tiny" <<'EOF'
import json, os, random, struct, sys
out = sys.argv[1]
H, L, NH, I, P = 16, 1, 2, 32, 64
words = ("the a pod deployment job nginx redis postgres image latest command args app web worker "
         "batch train model gpu cpu python run serve http port env name kind namespace").split()
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [chr(c) for c in range(97, 123)]
vocab += ["##" + chr(c) for c in range(97, 123)] + [".", ":", "/", "=", "-", "_"] + [str(d) for d in range(10)]
vocab += [w for w in words if w not in vocab]
os.makedirs(out + "/1_Pooling"); os.makedirs(out + "/2_Normalize")
def dump(path, obj): open(os.path.join(out, path), "w").write(json.dumps(obj))
dump("config.json", {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
     "position_embedding_type": "absolute", "vocab_size": len(vocab), "hidden_size": H,
     "num_hidden_layers": L, "num_attention_heads": NH, "intermediate_size": I,
     "max_position_embeddings": P, "type_vocab_size": 2, "layer_norm_eps": 1e-12})
dump("modules.json", [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
dump("sentence_bert_config.json", {"max_seq_length": P, "do_lower_case": False})
dump("1_Pooling/config.json", {"word_embedding_dimension": H, "pooling_mode_cls_token": False,
     "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
     "pooling_mode_mean_sqrt_len_tokens": False})
dump("tokenizer_config.json", {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None})
open(out + "/vocab.txt", "w").write("\n".join(vocab) + "\n")
rng = random.Random(1)
tensors = []
def add(name, shape, mean, sd):
    n = 1
    for d in shape: n *= d
    tensors.append((name, shape, struct.pack("<%df" % n, *(rng.gauss(mean, sd) for _ in range(n)))))
add("embeddings.word_embeddings.weight", [len(vocab), H], 0, 0.5)
add("embeddings.position_embeddings.weight", [P, H], 0, 0.5)
add("embeddings.token_type_embeddings.weight", [2, H], 0, 0.5)
add("embeddings.LayerNorm.weight", [H], 1, 0.1); add("embeddings.LayerNorm.bias", [H], 0, 0.1)
for l in range(L):
    p = "encoder.layer.%d." % l
    for part in ("query", "key", "value"):
        add(p + "attention.self." + part + ".weight", [H, H], 0, H ** -0.5)
        add(p + "attention.self." + part + ".bias", [H], 0, 0.1)
    add(p + "attention.output.dense.weight", [H, H], 0, H ** -0.5)
    add(p + "attention.output.dense.bias", [H], 0, 0.1)
    add(p + "attention.output.LayerNorm.weight", [H], 1, 0.1)
    add(p + "attention.output.LayerNorm.bias", [H], 0, 0.1)
    add(p + "intermediate.dense.weight", [I, H], 0, H ** -0.5)
    add(p + "intermediate.dense.bias", [I], 0, 0.1)
    add(p + "output.dense.weight", [H, I], 0, I ** -0.5)
    add(p + "output.dense.bias", [H], 0, 0.1)
    add(p + "output.LayerNorm.weight", [H], 1, 0.1)
    add(p + "output.LayerNorm.bias", [H], 0, 0.1)
add("pooler.dense.weight", [H, H], 0, H ** -0.5); add("pooler.dense.bias", [H], 0, 0.1)
header, offset = {}, 0
for name, shape, data in tensors:
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
h = json.dumps(header).encode()
with open(out + "/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(d for _, _, d in tensors))
EOF
must sbert_fit "$BIN" encode fit --input "$A/inference_requests.ndjson" --out "$W/in/enc_sbert.joblib" \
  --sbert-model "$W/tiny"
# Old cache: cluster-b's texts (transform embeds, fit does not); the run adds cluster-a's.
must sbert_fit_b "$BIN" encode fit --input "$B/inference_requests.ndjson" --out "$W/in/enc_sbert_b.joblib" \
  --sbert-model "$W/tiny"
must cache_old "$BIN" encode transform --input "$B/inference_requests.ndjson" --encoder "$W/in/enc_sbert_b.joblib" \
  --sbert-model "$W/tiny" --embedding-cache "$W/in/cache_old.parquet" --out "$W/in/feat_sbert_b.parquet"
[ -s "$W/in/cache_old.parquet" ] || fail "encode transform --embedding-cache wrote no cache"
mkdir -p "$W/in/cache_state"
cp "$W/in/cache_old.parquet" "$W/in/cache_state/cache.parquet"
crash_case embedding_cache "$W/cache" "$W/in/cache_state" -- \
  "$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/in/enc_sbert.joblib" \
  --sbert-model "$W/tiny" --embedding-cache "$W/cache/cache.parquet" --out "$W/cache/features.parquet"

section "labels (a real Prometheus)"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  echo "SKIP: labels: prometheus/promtool not installed (Debian: prometheus)"
  SUMMARY+=("labels: skipped (no prometheus/promtool)")
else
  # The new run's labels span the whole simulated time, the old file a shorter window.
  must sim_prom "$BIN" simulate --workloads 16 --hours 2 --seed 7 --start "$START" --out "$W/in/sim_prom"
  END=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["end"])' "$W/in/sim_prom/simulation.json")
  "$SRC/tests/e2e/prometheus-backfill.sh" "$W/in/sim_prom/kepler.om" "$W/tsdb" >"$W/backfill.log" 2>&1 ||
    { cat "$W/backfill.log" >&2; fail "promtool backfill"; }
  read -r PROM_PORT PROM_PID < <("$SRC/tests/e2e/prometheus-start.sh" "$W/tsdb" "$W/prom")
  PROM=http://127.0.0.1:$PROM_PORT
  must labels_old "$BIN" labels --prom "$PROM" --start "$START" --end "$((START + 1800))" --step 60s \
    --out "$W/in/labels_old.parquet" --mode window
  crash_file labels_window "$W/labels/kepler_labels.parquet" "$W/in/labels_old.parquet" -- \
    "$BIN" labels --prom "$PROM" --start "$START" --end "$END" --step 60s --mode window \
    --out "$W/labels/kepler_labels.parquet"
  # --out DIR/: one file per UTC day. The old folder holds the short window's day and a day the
  # new run does not cover, which must stay as it was through every kill.
  must labels_days_old "$BIN" labels --prom "$PROM" --start "$START" --end "$((START + 1800))" \
    --step 60s --mode window --out "$W/in/labels_days_old/"
  mkdir -p "$W/in/labels_days_old/date=2025-11-23"
  cp "$W/in/labels_old.parquet" "$W/in/labels_days_old/date=2025-11-23/labels.parquet"
  crash_case labels_days "$W/labels_days" "$W/in/labels_days_old" -- \
    "$BIN" labels --prom "$PROM" --start "$START" --end "$END" --step 60s --mode window \
    --out "$W/labels_days/"
  must labels_job_old "$BIN" labels --prom "$PROM" --mode job --start "$START" --end "$((START + 1800))" \
    --out "$W/in/labels_job_old.parquet"
  crash_file labels_job "$W/labels_job/labels.parquet" "$W/in/labels_job_old.parquet" -- \
    "$BIN" labels --prom "$PROM" --mode job --start "$START" --end "$END" --out "$W/labels_job/labels.parquet"
  "$SRC/tests/e2e/prometheus-stop.sh" "$PROM_PID"
  PROM_PID=""
fi

section "collect watch --output (appends; a real kube-apiserver)"
# Appending output: after each SIGKILL every line that has its newline is complete JSON; the next
# watch into the file drops a trailing partial line, so after it every line of the file is.
if [ -n "${CRASH_ONLY:-}" ] && [[ " $CRASH_ONLY " != *" collect_watch "* ]]; then
  echo "   (not run: CRASH_ONLY)"
elif ! "$SRC/tests/e2e/kube-up.sh" start "$W/kube" >"$W/kube-up.log" 2>&1; then
  "$SRC/tests/e2e/kube-up.sh" stop "$W/kube" >/dev/null 2>&1 || true
  echo "SKIP: collect watch: no real kube-apiserver: kube-up.sh start failed: $(tail -2 "$W/kube-up.log" | tr '\n' ' ')"
  SUMMARY+=("collect_watch: skipped (no kube-apiserver)")
else
  KUBE_DIR=$W/kube
  eval "$(grep -E '^(TOKEN|CA|SERVER|KUBECONFIG_FILE)=' "$KUBE_DIR/env" | sed 's/^/K_/')"
  api() {
    curl -sS --fail-with-body --cacert "$K_CA" -H "Authorization: Bearer $K_TOKEN" \
      -H 'Content-Type: application/json' -X POST --data-binary "$2" "$K_SERVER$1" >"$W/api.out" 2>&1 ||
      { cat "$W/api.out" >&2; fail "POST $1 to the kube-apiserver"; }
  }
  api /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"crash"}}'
  for i in $(seq 1 40); do
    api /apis/apps/v1/namespaces/crash/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web-'"$i"'"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx",
      "image":"nginx:1.27","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}}}}'
  done
  OUT=$W/watch/records.ndjson
  mkdir -p "$W/watch"
  check_lines() { # check_lines WHEN: every newline-terminated line of $OUT is a JSON object
    [ -e "$OUT" ] || { echo "no file yet"; return 0; }
    "$PY" -c '
import json, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
for i, line in enumerate(lines[:-1]):
    if not isinstance(json.loads(line), dict):
        raise SystemExit("line %d is not a JSON object" % (i + 1))
print(len(lines) - 1, "complete lines,", len(lines[-1]), "bytes after the last newline")
' "$OUT" || fail "collect watch @ $1: a broken line in $OUT"
  }
  n_killed=0
  for secs in 0.02 0.05 0.1 0.15 0.2 0.3 0.6 1.5; do
    outcome=$("$PY" "$SRC/tests/cli/crash_kill.py" time "$secs" -- env KUBECONFIG="$K_KUBECONFIG_FILE" \
      "$BIN" collect watch --emit-initial --namespaces crash --output "$OUT")
    [ "$outcome" = killed ] || fail "collect watch @ ${secs}s: $outcome (a watch runs until stopped)"
    n_killed=$((n_killed + 1))
    echo "   killed at ${secs}s: $(check_lines "${secs}s")"
  done
  # A partial line as a SIGKILL mid-write would leave it, then one more watch (stopped by SIGTERM
  # once it has appended the 40 initial records again).
  printf '{"schema_version":"v1","namespace":"cr' >>"$OUT"
  before=$(grep -c '' "$OUT")
  KUBECONFIG=$K_KUBECONFIG_FILE "$BIN" collect watch --emit-initial --namespaces crash --output "$OUT" \
    >"$W/watch.out" 2>"$W/watch.err" &
  WATCH_PID=$!
  for _ in $(seq 1 300); do
    [ "$(grep -c '' "$OUT")" -ge $((before - 1 + 40)) ] && break
    sleep 0.1
  done
  kill "$WATCH_PID"; wait "$WATCH_PID" || true
  WATCH_PID=""
  summary=$(check_lines "the last run")
  tail -c 1 "$OUT" | od -An -c | grep -q '\\n' || fail "collect watch: the file does not end with a complete line"
  echo "   after the next run: $summary"
  SUMMARY+=("$(printf '%-22s %d kills at 0.02-1.5 s: every line complete JSON; partial last line dropped by the next run' collect_watch "$n_killed")")
  "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1
  KUBE_DIR=""
fi

section "summary (command, duration of a complete run, outcome of the kills)"
printf '   %s\n' "${SUMMARY[@]}"
echo "PASS: crash consistency"
