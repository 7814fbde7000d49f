#!/usr/bin/env bash
# The README promises "change the program name; the flags stay". This test runs each original
# Python script's documented invocation against podpower, with every flag of the README's table
# "From the Python scripts to podpower" spelled as the original spelled it, and checks that the
# command does the real work: files written and read back (DuckDB for Parquet, podpower's next
# stage for artifacts), servers answering. Invocations are those of the original's argparse and of
# its own Kubernetes Jobs (the collect/encode Job is quoted in examples/data/cluster-b).
#
#   k8s_collect.py watch      -> podpower collect watch   (real kube-apiserver; skipped with the
#                                                          reason when tests/e2e/kube-up.sh cannot
#                                                          start one)
#   k8s_encode.py fit/transform -> podpower encode fit/transform  (cluster-b, cluster-a samples)
#   kepler_labels.py          -> podpower labels          (simulate -> promtool -> Prometheus)
#   join_features_labels.py   -> podpower join
#   train_power.py            -> podpower train
#   predict_k8s.py            -> podpower predict
#   predict_service.py        -> podpower serve           (ENCODER_PATH/MODEL_PATH, POST routes)
#
# Usage: original_invocations_test.sh PODPOWER_BINARY SOURCE_DIR [PYTHON]
# Environment: PODPOWER_MINILM_DIR (optional) = a real all-MiniLM-L6-v2 folder for --sbert-model;
# otherwise a tiny random model from tests/oracle/torch_tiny_bert.py is used (skipped without torch).
# KEEP_WORK=1 keeps the work folder of a failed run. Every process it starts is stopped by pid on
# exit. Registered with CTest as CliTest.OriginalInvocations (label integration).
set -euo pipefail

BIN=$(realpath "${1:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
SRC=$(realpath "${2:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
PY=${3:-/usr/bin/python3}
DUCKDB=$SRC/third_party/duckdb/lib/libduckdb.so
A=$SRC/examples/data/cluster-a
B=$SRC/examples/data/cluster-b
W=$(mktemp -d "${TMPDIR:-/tmp}/podpower-original-invocations.XXXXXX")

SERVE_PID="" PROM_PID="" WATCH_PID="" KUBE_DIR=""
cleanup() {
  local rc=$?
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "$PROM_PID" ] && "$SRC/tests/e2e/prometheus-stop.sh" "$PROM_PID"
  [ -n "$KUBE_DIR" ] && "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1
  if [ "$rc" = 0 ] || [ -z "${KEEP_WORK:-}" ]; then rm -rf "$W"; else echo "work folder kept: $W"; fi
  exit "$rc"
}
trap cleanup EXIT

SKIPPED=()
fail() { echo "FAIL: $*" >&2; exit 1; }
# skip WHAT REASON: WHAT is a podpower command ("labels") or a flag ("--sbert-model"); the README
# coverage check at the end excuses what was skipped.
skip() { echo "SKIP: $1: $2"; SKIPPED+=("$1"); }
section() { printf '\n== %s\n' "$*"; }
# Every invocation that did its work is logged (arguments tab-separated) in $W/done.tsv; the last
# step checks that these cover every flag of the README's table.
: >"$W/done.tsv"
done_log() { printf '%s\t' "$@" >>"$W/done.tsv"; printf '\n' >>"$W/done.tsv"; }

# run NAME CMD...: runs a command with its stdout in $W/NAME.out and stderr in $W/NAME.err, fails
# the test with both shown when it exits non-zero.
run() {
  local name=$1
  shift
  printf '$ %s\n' "$*"
  if ! "$@" >"$W/$name.out" 2>"$W/$name.err"; then
    echo "--- stdout" >&2; cat "$W/$name.out" >&2
    echo "--- stderr" >&2; cat "$W/$name.err" >&2
    fail "$name: exit status non-zero: $*"
  fi
  done_log "$@"
}
# refuse NAME PATTERN CMD...: the command must fail, with PATTERN (grep -E) on stderr.
refuse() {
  local name=$1 pattern=$2
  shift 2
  printf '$ %s   # must be refused\n' "$*"
  if "$@" >"$W/$name.out" 2>"$W/$name.err"; then fail "$name: accepted: $*"; fi
  grep -Eq -- "$pattern" "$W/$name.err" || { cat "$W/$name.err" >&2; fail "$name: stderr lacks /$pattern/"; }
}
sql() { "$PY" "$SRC/tests/cli/parquet_sql.py" "$DUCKDB" "$1"; }
expect() { # expect WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
  echo "   ok: $1 = $3"
}
expect_py() { # expect_py WHAT PYTHON-EXPRESSION-OVER-json-ARGV... : the expression must be true
  local what=$1 expr=$2
  shift 2
  "$PY" - "$@" <<EOF || fail "$what"
import json, sys
args = sys.argv[1:]
ok = bool($expr)
sys.exit(0 if ok else 1)
EOF
  echo "   ok: $what"
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
lines() { grep -c . "$1" || true; }

for f in "$BIN" "$DUCKDB" "$A/kepler_labels.parquet" "$B/inference_requests.ndjson"; do
  [ -e "$f" ] || fail "missing $f"
done

# ---------------------------------------------------------------------------------------------
section "k8s_encode.py fit / transform  ->  podpower encode fit / transform"
# The original's own Job: `k8s_encode.py fit --input /data/in.ndjson --out /data/encoder.joblib
# --no-sbert`, then `transform --input ... --encoder /data/encoder.joblib --out features.parquet`.
mkdir -p "$W/b"
run fit_out "$BIN" encode fit --input "$B/inference_requests.ndjson" --out "$W/b/encoder.joblib" --no-sbert
run fit_encoder "$BIN" encode fit --input "$B/inference_requests.ndjson" --encoder "$W/b/encoder.ppenc" --no-sbert
cmp "$W/b/encoder.joblib" "$W/b/encoder.ppenc" || fail "fit --out and fit --encoder wrote different files"
echo "   ok: fit --out and fit --encoder wrote byte-identical encoders"
# Both flags naming one file is fine; two different files, or none, is an error that writes nothing.
(cd "$W/b" && run fit_both_same "$BIN" encode fit --input "$B/inference_requests.ndjson" \
  --out encoder.same --encoder "$W/b/./encoder.same" --no-sbert)
cmp "$W/b/encoder.joblib" "$W/b/encoder.same" || fail "fit --out X --encoder ./X wrote a different file"
refuse fit_both_differ "name different files" "$BIN" encode fit --input "$B/inference_requests.ndjson" \
  --out "$W/b/x.ppenc" --encoder "$W/b/y.ppenc" --no-sbert
if [ -e "$W/b/x.ppenc" ] || [ -e "$W/b/y.ppenc" ]; then fail "a refused fit wrote a file"; fi
refuse fit_neither "--out \(or --encoder\) is required" "$BIN" encode fit \
  --input "$B/inference_requests.ndjson" --no-sbert
run transform "$BIN" encode transform --input "$B/inference_requests.ndjson" \
  --encoder "$W/b/encoder.joblib" --out "$W/b/features.parquet"
# Same rows, keys and vectors as the original's features.parquet (written by k8s_encode.py).
expect "cluster-b features: rows, vec_len, keys equal, max |diff| < 1e-6" "$(sql "
  WITH o AS (SELECT row_number() OVER () AS r, * FROM read_parquet('$W/b/features.parquet')),
       e AS (SELECT row_number() OVER () AS r, * FROM read_parquet('$B/features.parquet'))
  SELECT count(*), min(o.vec_len), max(o.vec_len),
         count(*) FILTER (WHERE o.namespace IS NOT DISTINCT FROM e.namespace
                          AND o.workload_kind IS NOT DISTINCT FROM e.workload_kind
                          AND o.workload_name IS NOT DISTINCT FROM e.workload_name
                          AND o._spec_hash = e._spec_hash AND len(o.features) = o.vec_len),
         max(list_distance(o.features, e.features)) < 1e-6
  FROM o JOIN e USING (r)")" "$(printf '22\t9\t9\t22\ttrue')"

# --sbert-model: a real MiniLM folder when given, else a tiny random BERT folder (same format).
MODEL=${PODPOWER_MINILM_DIR:-}
if [ -z "$MODEL" ]; then
  if "$PY" -c 'import torch' 2>/dev/null && "$PY" "$SRC/tests/oracle/torch_tiny_bert.py" "$W/tiny" \
    >"$W/tiny.log" 2>&1; then
    MODEL=$W/tiny/f32_mean
  fi
fi
if [ -n "$MODEL" ] && [ -d "$MODEL" ]; then
  run fit_sbert "$BIN" encode fit --input "$B/inference_requests.ndjson" --out "$W/b/encoder-sbert.joblib" \
    --sbert-model "$MODEL"
  run transform_sbert "$BIN" encode transform --input "$B/inference_requests.ndjson" \
    --encoder "$W/b/encoder-sbert.joblib" --out "$W/b/features-sbert.parquet" --sbert-model "$MODEL"
  expect "--sbert-model features: rows; text block present and L2-normalized" "$(sql "
    SELECT count(*), min(vec_len) > 9,
           bool_and(abs(list_sum(list_transform(features[10:], x -> x * x)) - 1) < 1e-4)
    FROM read_parquet('$W/b/features-sbert.parquet')")" "$(printf '22\ttrue\ttrue')"
else
  skip --sbert-model "no sentence model: set PODPOWER_MINILM_DIR, or install python3-torch for the tiny one"
fi

# ---------------------------------------------------------------------------------------------
section "join_features_labels.py  ->  podpower join"
mkdir -p "$W/a"
# The original's files: its features.parquet x its kepler_labels.parquet gave its train_rows.parquet.
# The original's per-step layout is `--layout wide`; by default join writes one row per (workload,
# spec) with the labels aggregated (docs/formats/join.md), which train, evaluate and predict read.
run join_original "$BIN" join --features "$A/features.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/a/train_rows_original.parquet" --layout wide
expect "join --layout wide of the original's files: rows like the original's train_rows" "$(sql "
  SELECT (SELECT count(*) FROM read_parquet('$W/a/train_rows_original.parquet')),
         (SELECT count(*) FROM read_parquet('$A/train_rows.parquet'))")" "$(printf '826\t826')"
run join_original_default "$BIN" join --features "$A/features.parquet" \
  --labels "$A/kepler_labels.parquet" --out "$W/a/train_rows_aggregated.parquet"
expect "join of the original's files, default layout: one row per workload and spec" "$(sql "
  SELECT (SELECT count(*) FROM read_parquet('$W/a/train_rows_aggregated.parquet')),
         (SELECT count(DISTINCT (namespace, workload_kind, workload_name, _spec_hash))
            FROM read_parquet('$A/train_rows.parquet'))")" "$(printf '8\t8')"
# The chain podpower users run: encode the cluster's records, join with the labels.
run fit_a "$BIN" encode fit --input "$A/inference_requests.ndjson" --out "$W/a/encoder.joblib" --no-sbert
run transform_a "$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/a/encoder.joblib" \
  --out "$W/a/features.parquet"
run join "$BIN" join --features "$W/a/features.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/a/train_rows.parquet"
expect "train rows: rows, energy labels, 9-d features" "$(sql "
  SELECT count(*) > 0, count(energy_step_j) > 0, min(len(features)), max(len(features))
  FROM read_parquet('$W/a/train_rows.parquet')")" "$(printf 'true\ttrue\t9\t9')"

# ---------------------------------------------------------------------------------------------
section "train_power.py  ->  podpower train"
# cluster-a has no power gauge (avg_power_w is null), so energy_step_j, as the original used.
run train "$BIN" train --train "$W/a/train_rows.parquet" --target energy_step_j --out "$W/a/knn_energy.joblib" \
  --neighbors 3
grep -q '^CV MAE: ' "$W/train.out" || fail "train printed no 'CV MAE:' line"
[ -s "$W/a/knn_energy.joblib" ] || fail "train wrote no model"
echo "   ok: $(grep '^CV MAE: ' "$W/train.out")"

# ---------------------------------------------------------------------------------------------
section "predict_k8s.py  ->  podpower predict"
run predict "$BIN" predict --encoder "$W/a/encoder.joblib" --model "$W/a/knn_energy.joblib" \
  --input "$A/inference_requests.ndjson"
n_a=$(lines "$A/inference_requests.ndjson")
expect_py "predict: a JSON array, one finite pred_energy_step_j per record" "
len(d := json.load(open(args[0]))) == int(args[1]) and all(
  isinstance(p.get('pred_energy_step_j'), (int, float)) and p['pred_energy_step_j'] == p['pred_energy_step_j']
  and {'namespace', 'workload_kind', 'workload_name', '_spec_hash'} <= p.keys() for p in d)" \
  "$W/predict.out" "$n_a"

# ---------------------------------------------------------------------------------------------
section "predict_service.py  ->  podpower serve"
# The original read ENCODER_PATH and MODEL_PATH and listened on port 8000; a free loopback port here.
port=$(free_port)
echo "\$ ENCODER_PATH=$W/a/encoder.joblib MODEL_PATH=$W/a/knn_energy.joblib $BIN serve --listen 127.0.0.1:$port"
ENCODER_PATH=$W/a/encoder.joblib MODEL_PATH=$W/a/knn_energy.joblib \
  "$BIN" serve --listen "127.0.0.1:$port" >"$W/serve.out" 2>"$W/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$W/serve.err" >&2; fail "serve exited"; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$W/serve.err" >&2; fail "serve not ready after 10 s"; }
head -1 "$A/inference_requests.ndjson" >"$W/one.json"
post() { # post PATH BODYFILE OUT [content-type]: fails unless HTTP 200
  local code
  code=$(curl -s -o "$3" -w '%{http_code}' -H "Content-Type: ${4:-application/json}" \
    --data-binary "@$2" "http://127.0.0.1:$port$1")
  echo "\$ curl -X POST --data-binary @$(basename "$2") http://127.0.0.1:$port$1  -> $code"
  [ "$code" = 200 ] || { cat "$3" >&2; fail "POST $1: HTTP $code"; }
  done_log "$BIN" serve POST "$1"
}
post /predict "$W/one.json" "$W/serve_predict.json"
expect_py "POST /predict: PredictOut with the original's five fields" "
(d := json.load(open(args[0]))) and isinstance(d['pred_energy_step_j'], (int, float)) and
d['namespace'] == (r := json.loads(open(args[1]).read()))['namespace'] and
d['workload_name'] == r['workload_name'] and d['workload_kind'] == r['workload_kind'] and
len(d['spec_hash']) == 16" "$W/serve_predict.json" "$W/one.json"
# The original's FastAPI body for the YAML routes is text/plain.
sed -n '/^---$/q;p' "$SRC/examples/manifests/web.yaml" >"$W/one.yaml"
post /predict/from-yaml "$W/one.yaml" "$W/serve_from_yaml.json" text/plain
expect_py "POST /predict/from-yaml: a prediction for the manifest's Deployment" "
(d := json.load(open(args[0]))) and isinstance(d['pred_energy_step_j'], (int, float)) and
d['workload_kind'] == 'Deployment' and d['workload_name'] == 'shop-frontend' and d['namespace'] == 'shop'" \
  "$W/serve_from_yaml.json"
post /infer/from-yaml "$W/one.yaml" "$W/serve_infer.json" text/plain
expect_py "POST /infer/from-yaml: the InferenceRequest record of the manifest" "
(d := json.load(open(args[0]))) and (d if isinstance(d, dict) else d[0])['workload_name'] == 'shop-frontend'
and (d if isinstance(d, dict) else d[0])['containers'][0]['req_cpu_mcpu'] == 250" "$W/serve_infer.json"
kill "$SERVE_PID"
wait "$SERVE_PID" || fail "serve exited with status $? on SIGTERM"
SERVE_PID=""
echo "   ok: serve stopped by pid"

# ---------------------------------------------------------------------------------------------
section "kepler_labels.py  ->  podpower labels"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  skip "labels" "prometheus/promtool not installed (Debian: prometheus)"
else
  START=1764000000
  run simulate "$BIN" simulate --workloads 16 --hours 1 --seed 7 --start "$START" --out "$W/sim"
  END=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["end"])' "$W/sim/simulation.json")
  "$SRC/tests/e2e/prometheus-backfill.sh" "$W/sim/kepler.om" "$W/tsdb"
  read -r PROM_PORT PROM_PID < <("$SRC/tests/e2e/prometheus-start.sh" "$W/tsdb" "$W/prom")
  PROM=http://127.0.0.1:$PROM_PORT
  # Every flag of the table: --prom --start --end --step --out --mode --owner-source
  # --suppress-tls-warnings, with the original's value forms (unix seconds, "60s").
  run labels_window "$BIN" labels --prom "$PROM" --start "$START" --end "$END" --step 60s \
    --out "$W/kepler_labels.parquet" --mode window --owner-source prom --suppress-tls-warnings
  expect "window labels: rows, owners from kube-state-metrics, energy per step" "$(sql "
    SELECT count(*) > 0, count(*) FILTER (WHERE owner_source <> 'prom'), count(energy_step_j) > 0,
           count(*) FILTER (WHERE workload_kind IN ('Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob')) = count(*)
    FROM read_parquet('$W/kepler_labels.parquet')")" "$(printf 'true\t0\ttrue\ttrue')"
  # The original's own Job spelling: RFC 3339 times, --mode job, --ns NAMESPACE (nargs).
  NS=$(sql "SELECT namespace FROM read_parquet('$W/kepler_labels.parquet') GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
  NS2=$(sql "SELECT namespace FROM read_parquet('$W/kepler_labels.parquet') WHERE namespace <> '$NS' GROUP BY 1 ORDER BY 1 LIMIT 1")
  S_RFC=$(date -u -d "@$START" +%Y-%m-%dT%H:%M:%SZ)
  E_RFC=$(date -u -d "@$END" +%Y-%m-%dT%H:%M:%SZ)
  [ -n "$NS2" ] || NS2=$NS
  run labels_job "$BIN" labels --prom "$PROM" --mode job --start "$S_RFC" --end "$E_RFC" --ns "$NS" "$NS2" \
    --owner-source auto --out "$W/labels_job.parquet"
  expect "job labels: one row per pod of the --ns namespaces, total_energy_j" "$(sql "
    SELECT count(*) > 0, count(DISTINCT pod) = count(*), count(total_energy_j) = count(*),
           count(*) FILTER (WHERE namespace NOT IN ('$NS', '$NS2'))
    FROM read_parquet('$W/labels_job.parquet')")" "$(printf 'true\ttrue\ttrue\t0')"
  "$SRC/tests/e2e/prometheus-stop.sh" "$PROM_PID"
  PROM_PID=""

  # The original's Jobs 3 and 4 on these labels: join, then train --target total_energy_j.
  run fit_sim "$BIN" encode fit --input "$W/sim/inference_requests.ndjson" --out "$W/sim/encoder.joblib" --no-sbert
  run transform_sim "$BIN" encode transform --input "$W/sim/inference_requests.ndjson" \
    --encoder "$W/sim/encoder.joblib" --out "$W/sim/features.parquet"
  run join_job "$BIN" join --features "$W/sim/features.parquet" --labels "$W/labels_job.parquet" \
    --out "$W/sim/train_rows_job.parquet"
  run train_job "$BIN" train --train "$W/sim/train_rows_job.parquet" --target total_energy_j \
    --out "$W/sim/knn_energy.joblib"
  run join_window "$BIN" join --features "$W/sim/features.parquet" --labels "$W/kepler_labels.parquet" \
    --out "$W/sim/train_rows.parquet"
  run train_window "$BIN" train --train "$W/sim/train_rows.parquet" --target avg_power_w \
    --out "$W/sim/knn_power.joblib" --neighbors 5
  run predict_sim "$BIN" predict --encoder "$W/sim/encoder.joblib" --model "$W/sim/knn_power.joblib" \
    --input "$W/sim/inference_requests.ndjson"
  expect_py "simulated chain: a watts prediction per workload" "
len(d := json.load(open(args[0]))) == int(args[1]) and all(p['pred_avg_power_w'] > 0 for p in d)" \
    "$W/predict_sim.out" "$(lines "$W/sim/inference_requests.ndjson")"
fi

# ---------------------------------------------------------------------------------------------
section "k8s_collect.py watch  ->  podpower collect watch"
# The original's Job: `k8s_collect.py watch --kinds Deployment Job CronJob Pod --emit-initial
# --suppress-tls-warnings --output /data/in.ndjson`; plus the table's --ca-file and --verify-ssl,
# which the original takes with a value (`--verify-ssl true|false`).
KUBE_DIR=$W/kube
if ! "$SRC/tests/e2e/kube-up.sh" start "$KUBE_DIR" >"$W/kube-up.log" 2>&1; then
  KUBE_DIR_FAILED=$KUBE_DIR
  "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR_FAILED" >/dev/null 2>&1 || true
  KUBE_DIR=""
  skip "collect watch" "no real kube-apiserver: kube-up.sh start failed: $(tail -3 "$W/kube-up.log" | tr '\n' ' ')"
else
  # DIR/env also sets BIN; take only what is needed, prefixed.
  eval "$(grep -E '^(TOKEN|CA|SERVER|OTHER_CA|KUBECONFIG_FILE)=' "$KUBE_DIR/env" | sed 's/^/K_/')"
  api() { # api PATH JSON: POST one object as the admin
    curl -sS --fail-with-body --cacert "$K_CA" -H "Authorization: Bearer $K_TOKEN" \
      -H 'Content-Type: application/json' -X POST --data-binary "$2" "$K_SERVER$1" >"$W/api.out" 2>&1 ||
      { cat "$W/api.out" >&2; fail "POST $1 to the kube-apiserver"; }
  }
  api /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"orig"}}'
  api /apis/apps/v1/namespaces/orig/deployments '{"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx",
    "image":"nginx:1.27","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}}}}'
  api /apis/batch/v1/namespaces/orig/jobs '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},
    "spec":{"parallelism":2,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"w",
    "image":"busybox","command":["sh","-c","true"]}]}}}}'
  api /apis/batch/v1beta1/namespaces/orig/cronjobs '{"apiVersion":"batch/v1beta1","kind":"CronJob",
    "metadata":{"name":"nightly"},"spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":
    {"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"alpine"}]}}}}}}'
  # No controller manager runs: the pod's service account is made by hand, and has no token.
  api /api/v1/namespaces/orig/serviceaccounts '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}'
  api /api/v1/namespaces/orig/pods '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo"},
    "spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"redis:7","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}}'
  # A kubeconfig whose CA is wrong: only --ca-file (or --verify-ssl false) makes it connect. The
  # original read $KUBECONFIG; so does podpower.
  sed "s#certificate-authority: .*#certificate-authority: $K_OTHER_CA#" "$K_KUBECONFIG_FILE" >"$W/wrong-ca.kubeconfig"
  refuse list_wrong_ca "certificate|verify|SSL|TLS" env KUBECONFIG="$W/wrong-ca.kubeconfig" \
    "$BIN" collect list --verify-ssl true --kinds Deployment
  # watch_until NAME ARGS...: runs collect watch in the background until the four objects of
  # namespace orig are in NAME.ndjson (30 s at most), then stops it by pid.
  watch_until() {
    local name=$1
    shift
    printf '$ KUBECONFIG=wrong-ca.kubeconfig %s collect watch %s --output %s.ndjson\n' "$BIN" "$*" "$name"
    KUBECONFIG=$W/wrong-ca.kubeconfig "$BIN" collect watch "$@" --output "$W/$name.ndjson" \
      >"$W/$name.out" 2>"$W/$name.err" &
    WATCH_PID=$!
    for _ in $(seq 1 300); do
      n=$(grep -c '"namespace":"orig"' "$W/$name.ndjson" 2>/dev/null || true)
      [ "${n:-0}" -ge 4 ] && break
      kill -0 "$WATCH_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$WATCH_PID" 2>/dev/null || true
    local rc=0
    wait "$WATCH_PID" || rc=$?
    WATCH_PID=""
    [ "$rc" = 0 ] || { cat "$W/$name.err" >&2; fail "$name: collect watch exited with status $rc"; }
    expect_py "$name: Deployment, Job, CronJob and Pod records of namespace orig" "
{(r['workload_kind'], r['workload_name']) for r in map(json.loads, open(args[0])) if r['namespace'] == 'orig'}
== {('Deployment', 'web'), ('Job', 'once'), ('CronJob', 'nightly'), ('Pod', 'solo')}" "$W/$name.ndjson"
    done_log "$BIN" collect watch "$@" --output "$W/$name.ndjson"
  }
  watch_until watch_ca --kinds Deployment Job CronJob Pod --emit-initial --ca-file "$K_CA" --verify-ssl true \
    --suppress-tls-warnings
  watch_until watch_noverify --kinds Deployment Job CronJob Pod --emit-initial --verify-ssl false
  # The records are the encoder's input, as in the original's Job (step 2 and 3).
  run fit_collected "$BIN" encode fit --input "$W/watch_ca.ndjson" --out "$W/collected-encoder.joblib" --no-sbert
  run transform_collected "$BIN" encode transform --input "$W/watch_ca.ndjson" \
    --encoder "$W/collected-encoder.joblib" --out "$W/collected-features.parquet"
  expect "features of the collected records: one row per record" "$(sql "
    SELECT count(*) FROM read_parquet('$W/collected-features.parquet')")" "$(lines "$W/watch_ca.ndjson")"
  "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1
  KUBE_DIR=""
fi

# ---------------------------------------------------------------------------------------------
section "README table: every flag listed was used, as spelled, by a run above that did its work"
"$PY" "$SRC/tests/cli/readme_flags_covered.py" "$SRC/README.md" "$W/done.tsv" "$BIN" \
  ${SKIPPED[@]+"${SKIPPED[@]}"} || fail "the README's table lists flags this test did not run"

echo
if [ "${#SKIPPED[@]}" -gt 0 ]; then
  printf 'PASS, with skipped parts (reasons above): %s\n' "$(printf '%s; ' "${SKIPPED[@]}")"
else
  echo "PASS: every original invocation runs under podpower"
fi
