#!/usr/bin/env bash
# `kubectl podpower predict` as a user runs it: podpower installed as kubectl-podpower (a symlink)
# on PATH, called through the real kubectl when one is installed (else directly, said so), against
# a real kube-apiserver (tests/e2e/kube-up.sh) and a real `podpower serve` on loopback.
#
#   1. predict -f FILE with local artifacts prints the table;
#   2. predict deployment/web -n shop (and TYPE NAME..., a CronJob in the context's namespace) reads
#      the live objects with the kubeconfig's current context: the same predictions, record for
#      record, as -f on the manifests they were created from;
#   3. --server URL asks `podpower serve` (POST /predict/batch) for both kinds of input: the same
#      numbers as local artifacts (every field but the blend, which serve's answer does not carry);
#   4. errors are one line naming the object, context or server; /metrics names the build.
#
# Usage: kubectl_plugin_test.sh PODPOWER_BINARY SOURCE_DIR [PYTHON]. Exit 77 (CTest: skipped) when no
# kube-apiserver can be started here, after the parts that need none have passed. KEEP_WORK=1 keeps
# the work folder of a failed run. Every process it starts is stopped by pid on exit.
set -euo pipefail

BIN=$(realpath "${1:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
SRC=$(realpath "${2:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
PY=${3:-/usr/bin/python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/podpower-kubectl-plugin.XXXXXX")
A=$SRC/examples/data/cluster-a

SERVE_PID="" KUBE_DIR=""
cleanup() {
  local rc=$?
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "$KUBE_DIR" ] && "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1
  if [ "$rc" = 0 ] || [ "$rc" = 77 ] || [ -z "${KEEP_WORK:-}" ]; then rm -rf "$W"; else echo "work folder kept: $W"; fi
  exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
section() { printf '\n== %s\n' "$*"; }
# run NAME CMD...: stdout in $W/NAME.out, stderr in $W/NAME.err; fails showing both on non-zero exit.
run() {
  local name=$1
  shift
  printf '$ %s\n' "$*"
  if ! "$@" >"$W/$name.out" 2>"$W/$name.err"; then
    echo "--- stdout" >&2; cat "$W/$name.out" >&2
    echo "--- stderr" >&2; cat "$W/$name.err" >&2
    fail "$name: exit status non-zero: $*"
  fi
}
# refuse NAME TEXT CMD...: the command must fail with exactly one stderr line containing TEXT.
refuse() {
  local name=$1 text=$2
  shift 2
  printf '$ %s   # must be refused\n' "$*"
  if "$@" >"$W/$name.out" 2>"$W/$name.err"; then fail "$name: accepted: $*"; fi
  grep -qF -- "$text" "$W/$name.err" || { cat "$W/$name.err" >&2; fail "$name: stderr lacks '$text'"; }
  [ "$(wc -l <"$W/$name.err")" = 1 ] || { cat "$W/$name.err" >&2; fail "$name: more than one line"; }
  echo "   ok: $(cat "$W/$name.err")"
}
# same_predictions WHAT A.json B.json [KEY...]: the JSON arrays are equal, ignoring the given keys.
same_predictions() {
  local what=$1 a=$2 b=$3
  shift 3
  "$PY" - "$a" "$b" "$@" <<'PYEOF' || fail "$what"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
drop = set(sys.argv[3:])
strip = lambda rows: [{k: v for k, v in r.items() if k not in drop} for r in rows]
if len(a) != len(b) or not a:
    sys.exit(f"{len(a)} predictions against {len(b)}")
for x, y in zip(strip(a), strip(b)):
    if x != y:
        sys.exit("differ:\n  " + json.dumps(x) + "\n  " + json.dumps(y))
PYEOF
  echo "   ok: $what ($(grep -o '"workload_name": *"[^"]*"' "$a" | tr '\n' ' '))"
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The plugin as kubectl finds it: an executable named kubectl-podpower on PATH.
mkdir -p "$W/bin"
ln -s "$BIN" "$W/bin/kubectl-podpower"
export PATH=$W/bin:$PATH
if command -v kubectl >/dev/null; then
  KP=(kubectl podpower)
  echo "through the real kubectl: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -1))"
else
  KP=(kubectl-podpower)
  echo "no kubectl on PATH: calling kubectl-podpower directly, as kubectl would"
fi
# No user kubeconfig or artifacts from the environment running the test.
unset KUBECONFIG PODPOWER_SERVER ENCODER_PATH MODEL_PATH
# kube-up.sh keeps its binaries under $HOME/.cache; pin that before HOME moves.
export PODPOWER_CACHE=${PODPOWER_CACHE:-$HOME/.cache/podpower}
export HOME=$W/home
mkdir -p "$HOME"

section "artifacts (cluster-a sample, as make demo trains them)"
run fit "$BIN" encode fit --input "$A/inference_requests.ndjson" --encoder "$W/encoder.ppenc" --text hash
run transform "$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/encoder.ppenc" \
  --out "$W/features.parquet"
run join "$BIN" join --features "$W/features.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/train_rows.parquet"
run train "$BIN" train --train "$W/train_rows.parquet" --target energy_step_j --aggregate --out "$W/model.ppknn"
ART=(--encoder "$W/encoder.ppenc" --model "$W/model.ppknn")

# One file per namespace: shop's objects (namespaced), and a CronJob without a namespace, which goes
# to the context's namespace. batch/v1beta1: the test cluster is Kubernetes 1.20.
cat >"$W/shop.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          args: ["nginx", "-g", "daemon off;"]
          resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: "1", memory: 256Mi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop}
spec:
  serviceName: cache
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
        - {name: redis, image: "redis:7.2", resources: {requests: {cpu: 500m, memory: 1Gi}}}
YAML
cat >"$W/batch.yaml" <<'YAML'
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - {name: backup, image: "postgres:16", command: [pg_dump, shop], resources: {requests: {cpu: "2"}}}
YAML

section "1. kubectl podpower predict -f FILE (local artifacts)"
run version "${KP[@]}" --version
grep -Eq '^podpower [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown)\)$' "$W/version.out" ||
  fail "--version printed '$(cat "$W/version.out")'"
echo "   ok: $(cat "$W/version.out")"
COMMIT=$(sed -E 's/.*\(commit (.*)\)$/\1/' "$W/version.out")
run file_table "${KP[@]}" predict -f "$W/shop.yaml" -f "$W/batch.yaml" "${ART[@]}"
cat "$W/file_table.out"
head -1 "$W/file_table.out" | grep -q '^NAMESPACE  *KIND  *WORKLOAD  *PREDICTED energy_step_j' ||
  fail "predict -f printed no table header"
for row in 'shop +Deployment +web +[0-9.]+ J/step' 'shop +StatefulSet +cache ' ' +CronJob +nightly '; do
  grep -Eq "^$row" "$W/file_table.out" || grep -Eq "$row" "$W/file_table.out" || fail "no table row /$row/"
done
echo "   ok: a table row per workload"
run file_json "${KP[@]}" predict -f "$W/shop.yaml" "${ART[@]}" -o json
run podpower_json "$BIN" predict --input "$W/shop.yaml" "${ART[@]}"
cmp -s "$W/file_json.out" "$W/podpower_json.out" || fail "kubectl podpower -o json differs from podpower predict"
echo "   ok: kubectl podpower predict -o json = podpower predict (byte for byte)"
refuse no_model "no model: give --server URL" "${KP[@]}" predict -f "$W/shop.yaml"
refuse two_files_one_f "need one -f each" "${KP[@]}" predict -f "$W/shop.yaml" "$W/batch.yaml" "${ART[@]}"

section "3a. --server: a running podpower serve on loopback"
port=$(free_port)
"$BIN" serve "${ART[@]}" --listen "127.0.0.1:$port" >"$W/serve.out" 2>"$W/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$W/serve.err" >&2; fail "serve not ready after 10 s"; }
URL=http://127.0.0.1:$port
run server_json "${KP[@]}" predict -f "$W/shop.yaml" --server "$URL" -o json
same_predictions "predict -f --server = predict -f with the same artifacts (all but the blend)" \
  "$W/server_json.out" "$W/file_json.out" model
run server_table env PODPOWER_SERVER="$URL" "${KP[@]}" predict -f "$W/shop.yaml"
head -3 "$W/server_table.out"
diff <(head -3 "$W/server_table.out") <("${KP[@]}" predict -f "$W/shop.yaml" "${ART[@]}" | head -3) ||
  fail "the server's table rows differ from the local ones"
echo "   ok: PODPOWER_SERVER: the same table rows as local artifacts"
refuse server_path "HTTP 404" "${KP[@]}" predict -f "$W/shop.yaml" --server "$URL/nope"
refuse server_and_model "give one" "${KP[@]}" predict -f "$W/shop.yaml" --server "$URL" "${ART[@]}"
curl -sf "$URL/metrics" >"$W/metrics.txt"
grep -qxF "podpower_build_info{version=\"$(sed -E 's/^podpower ([^ ]*) .*/\1/' "$W/version.out")\",commit=\"$COMMIT\"} 1" \
  "$W/metrics.txt" || { grep build_info "$W/metrics.txt" >&2; fail "/metrics: no podpower_build_info for this build"; }
echo "   ok: /metrics: $(grep '^podpower_build_info' "$W/metrics.txt")"

section "2. kubectl podpower predict deployment/web -n shop (live objects, real kube-apiserver)"
KUBE_DIR=$W/kube
if ! "$SRC/tests/e2e/kube-up.sh" start "$KUBE_DIR" >"$W/kube-up.log" 2>&1; then
  "$SRC/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1 || true
  KUBE_DIR=""
  echo "SKIP: live objects: no real kube-apiserver: kube-up.sh start failed: $(tail -3 "$W/kube-up.log" | tr '\n' ' ')"
  exit 77
fi
eval "$(grep -E '^(TOKEN|CA|SERVER|KUBECONFIG_FILE)=' "$KUBE_DIR/env" | sed 's/^/K_/')"
api() { # api PATH YAML-FILE: POST one object as the admin (the API server reads YAML bodies)
  curl -sS --fail-with-body --cacert "$K_CA" -H "Authorization: Bearer $K_TOKEN" \
    -H 'Content-Type: application/yaml' -X POST --data-binary "@$2" "$K_SERVER$1" >"$W/api.out" 2>&1 ||
    { cat "$W/api.out" >&2; fail "POST $1 to the kube-apiserver"; }
}
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n' >"$W/ns.yaml"
api /api/v1/namespaces "$W/ns.yaml"
"$PY" - "$W/shop.yaml" "$W/obj" <<'PYEOF'
import sys
for i, doc in enumerate(open(sys.argv[1]).read().split("\n---\n")):
    open(f"{sys.argv[2]}{i}.yaml", "w").write(doc)
PYEOF
api /apis/apps/v1/namespaces/shop/deployments "$W/obj0.yaml"
api /apis/apps/v1/namespaces/shop/statefulsets "$W/obj1.yaml"
api /apis/batch/v1beta1/namespaces/default/cronjobs "$W/batch.yaml"
# The user's kubeconfig, found the way kubectl finds it: ~/.kube/config, current context.
mkdir -p "$HOME/.kube"
cp "$K_KUBECONFIG_FILE" "$HOME/.kube/config"
CONTEXT=$(grep -E '^current-context:' "$HOME/.kube/config" | awk '{print $2}')
echo "   kubeconfig ~/.kube/config, current context \"$CONTEXT\""

run live_table "${KP[@]}" predict deployment/web -n shop "${ART[@]}"
cat "$W/live_table.out"
grep -Eq '^shop +Deployment +web +[0-9.]+ J/step' "$W/live_table.out" || fail "no row for shop/web"
run live_json "${KP[@]}" predict deploy/web statefulset/cache -n shop "${ART[@]}" -o json
same_predictions "deployment/web statefulset/cache -n shop = -f on their manifests (same records)" \
  "$W/live_json.out" "$W/file_json.out"
run live_names "${KP[@]}" predict deployments web --namespace shop "${ART[@]}" -o json
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a!=b[:1])' \
  "$W/live_names.out" "$W/live_json.out" || fail "TYPE NAME form differs from TYPE/NAME"
echo "   ok: 'deployments web' = 'deploy/web'"
# No -n: the context's namespace (default), where the CronJob is.
run live_cronjob "${KP[@]}" predict cj/nightly "${ART[@]}" -o json
run file_cronjob "${KP[@]}" predict -f "$W/batch.yaml" "${ART[@]}" -o json
same_predictions "cj/nightly (context namespace) = -f on its manifest" "$W/live_cronjob.out" "$W/file_cronjob.out"
run live_context "${KP[@]}" predict cj/nightly --context "$CONTEXT" --kubeconfig "$K_KUBECONFIG_FILE" "${ART[@]}" -o json
cmp -s "$W/live_context.out" "$W/live_cronjob.out" || fail "--context/--kubeconfig gave other predictions"
echo "   ok: --context and --kubeconfig name the same cluster explicitly"
refuse missing "deployments.apps \"nope\" not found" "${KP[@]}" predict deployment/nope -n shop "${ART[@]}"
refuse wrong_ns "deployments.apps \"web\" not found" "${KP[@]}" predict deployment/web "${ART[@]}"
refuse bad_context "context \"nope\" not found" "${KP[@]}" predict deployment/web --context nope "${ART[@]}"
refuse bad_type "resource type \"service\"" "${KP[@]}" predict service/web -n shop "${ART[@]}"

section "3b. live objects + --server"
run live_server "${KP[@]}" predict deployment/web statefulset/cache -n shop --server "$URL" -o json
same_predictions "deployment/web statefulset/cache --server = local artifacts (all but the blend)" \
  "$W/live_server.out" "$W/live_json.out" model
run live_server_table "${KP[@]}" predict deployment/web -n shop --server "$URL"
cat "$W/live_server_table.out"
grep -Eq '^shop +Deployment +web +[0-9.]+ J/step' "$W/live_server_table.out" || fail "no row for shop/web"

echo
echo "PASS: kubectl podpower predict: files and live objects, local artifacts and podpower serve"
