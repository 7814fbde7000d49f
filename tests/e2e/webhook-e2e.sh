#!/usr/bin/env bash
# End to end: podpower serve as a real mutating admission webhook of a real kube-apiserver 1.20
# (tests/e2e/kube-up.sh), driven with kubectl.
#
#   webhook-e2e.sh PODPOWER_BIN ENCODER MODEL [WORKDIR]
#
# 1. start etcd + kube-apiserver; podpower serve over HTTPS on 127.0.0.1 with a test CA;
# 2. deploy/: base with --dry-run=server, training CronJobs with --dry-run=client (batch/v1 CronJob
#    needs 1.21+, this apiserver is 1.20);
# 3. register a MutatingWebhookConfiguration (url client config, failurePolicy Ignore), kubectl
#    apply a Deployment, read the annotations back from the apiserver and compare them with what
#    POST /predict/from-yaml says for the same manifest;
# 4. SIGTERM podpower (exit 0 after draining); creating another Deployment still succeeds,
#    without annotations (failurePolicy Ignore);
# 5. podpower with --budget-file in deny mode: an over-budget Deployment is refused by the API.
# Exit 0 = all passed; 3 = the apiserver cannot be built here (callers skip).
set -euo pipefail
PODPOWER=$(realpath "${1:?podpower binary}")
ENCODER=$(realpath "${2:?encoder artifact}")
MODEL=$(realpath "${3:?model artifact}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${4:-$(mktemp -d /tmp/podpower-webhook-e2e.XXXXXX)}
mkdir -p "$WORK"
KUBE_DIR=$WORK/kube
SERVE_PID=""

log() { echo "webhook-e2e: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi
  "$ROOT/tests/e2e/kube-up.sh" stop "$KUBE_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

set +e
"$ROOT/tests/e2e/kube-up.sh" start "$KUBE_DIR" >"$WORK/kube-up.out" 2>&1
status=$?
set -e
if [ $status -eq 3 ]; then log "kube-apiserver cannot be built here"; exit 3; fi
[ $status -eq 0 ] || { cat "$WORK/kube-up.out" >&2; fail "kube-up.sh start failed"; }
# shellcheck disable=SC1091
. "$KUBE_DIR/env"
k() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@" 2> >(grep -v -i "version difference\|skew" >&2); }

# --- TLS for the webhook: a test CA and a serving certificate for 127.0.0.1.
(
  cd "$WORK"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=podpower-test-ca \
    -keyout ca.key -out ca.crt
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout serve.key -out serve.csr
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >serve.ext
  openssl x509 -req -in serve.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -extfile serve.ext -out serve.crt
) >/dev/null 2>&1
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_serve() {
  "$PODPOWER" serve --encoder "$ENCODER" --model "$MODEL" --listen "127.0.0.1:$PORT" \
    --tls-cert "$WORK/serve.crt" --tls-key "$WORK/serve.key" "$@" >>"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$WORK/ca.crt" "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; fail "podpower serve exited"; }
    sleep 0.1
  done
  fail "podpower serve not ready"
}
stop_serve() {
  kill -TERM "$SERVE_PID"
  local rc=0
  wait "$SERVE_PID" || rc=$?
  SERVE_PID=""
  [ $rc -eq 0 ] || fail "podpower serve exited with $rc after SIGTERM"
}

# --- 2. deploy/ against the real apiserver.
k apply -f "$ROOT/deploy/base/namespace.yaml" >/dev/null
k apply -k "$ROOT/deploy/base" --dry-run=server >"$WORK/dry-run-server.txt" ||
  fail "deploy/base does not pass --dry-run=server"
log "deploy/base passes kubectl apply --dry-run=server: $(wc -l <"$WORK/dry-run-server.txt") objects"
# kubectl maps kinds through the server's discovery even for --dry-run=client, and 1.20 has no
# batch/v1 CronJob: so the batch/v1 form is checked as far as kubectl can offline (kustomize
# build + client dry-run, which 1.20 refuses with "no matches"), and the same objects rewritten
# to batch/v1beta1 (identical CronJob schema) must pass the server's full validation.
kubectl kustomize "$ROOT/deploy/training" >"$WORK/training.yaml" || fail "deploy/training does not build"
if k apply -f "$WORK/training.yaml" --dry-run=client >"$WORK/dry-run-client.txt" 2>&1; then
  log "deploy/training passes --dry-run=client"
elif grep -q 'no matches for kind "CronJob" in version "batch/v1"' "$WORK/dry-run-client.txt"; then
  log "deploy/training: --dry-run=client needs batch/v1 in discovery, which 1.20 lacks (expected)"
else
  cat "$WORK/dry-run-client.txt" >&2; fail "deploy/training fails --dry-run=client"
fi
sed 's#^apiVersion: batch/v1$#apiVersion: batch/v1beta1#' "$WORK/training.yaml" >"$WORK/training-v1beta1.yaml"
k apply -f "$WORK/training-v1beta1.yaml" --dry-run=server >"$WORK/dry-run-training.txt" ||
  fail "deploy/training (as batch/v1beta1) does not pass --dry-run=server"
log "deploy/training passes --dry-run=server as batch/v1beta1: $(tr '\n' ' ' <"$WORK/dry-run-training.txt")"

# --- 3. the webhook, registered by URL.
start_serve
CA_BUNDLE=$(base64 -w0 <"$WORK/ca.crt")
k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: podpower-e2e}
webhooks:
  - name: predicted-watts.podpower.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Ignore
    timeoutSeconds: 2
    clientConfig:
      url: https://127.0.0.1:$PORT/admission
      caBundle: $CA_BUNDLE
    namespaceSelector:
      matchExpressions:
        - {key: podpower.io/admission, operator: NotIn, values: ["disabled"]}
    rules:
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["deployments", "statefulsets", "daemonsets"]
      - apiGroups: ["batch"]
        apiVersions: ["v1", "v1beta1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["jobs", "cronjobs"]
YAML
k create namespace shop >/dev/null
deployment() {  # name replicas
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: shop}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {memory: 256Mi}}
YAML
}
deployment web 3 >"$WORK/web.yaml"
# The webhook configuration takes effect asynchronously; retry until an object gets annotated.
annotated=""
for i in $(seq 1 30); do
  k apply -f "$WORK/web.yaml" >/dev/null
  annotated=$(k get deployment web -n shop -o jsonpath='{.metadata.annotations.podpower\.io/predicted-watts}')
  [ -n "$annotated" ] && break
  k delete deployment web -n shop --wait=false >/dev/null 2>&1 || true
  sleep 0.5
done
[ -n "$annotated" ] || { cat "$WORK/serve.log" >&2; fail "no podpower annotation on the Deployment"; }
k get deployment web -n shop -o json >"$WORK/web.json"
curl -sf --cacert "$WORK/ca.crt" --data-binary @"$WORK/web.yaml" \
  "https://127.0.0.1:$PORT/predict/from-yaml" >"$WORK/web.predict.json"
/usr/bin/python3 - "$WORK/web.json" "$WORK/web.predict.json" <<'PY'
import json, sys
obj = json.load(open(sys.argv[1]))
pred = json.load(open(sys.argv[2]))
ann = obj["metadata"]["annotations"]
def fmt(w):
    s = "%.3f" % w
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
per_pod = pred["predicted_watts"]
want = {"podpower.io/predicted-watts": fmt(per_pod),
        "podpower.io/predicted-watts-total": fmt(per_pod * 3),
        "podpower.io/model-fingerprint": pred["model_fingerprint"]}
for k, v in want.items():
    if ann.get(k) != v:
        sys.exit("annotation %s: apiserver has %r, /predict/from-yaml says %r" % (k, ann.get(k), v))
print("webhook-e2e: Deployment shop/web annotated by the apiserver round trip: " +
      ", ".join("%s=%s" % (k, ann[k]) for k in sorted(want)), file=sys.stderr)
PY
metrics=$(curl -sf --cacert "$WORK/ca.crt" "https://127.0.0.1:$PORT/metrics")
echo "$metrics" | grep -q 'podpower_admission_reviews_total{decision="patched"}' ||
  fail "/metrics does not count the patched review"

# --- 4. podpower down: the cluster keeps working (failurePolicy Ignore).
stop_serve
grep -q "draining requests in flight" "$WORK/serve.log" || fail "no drain message after SIGTERM"
deployment web-without-podpower 1 | k apply -f - >/dev/null ||
  fail "creating a Deployment failed while podpower was down"
left=$(k get deployment web-without-podpower -n shop -o jsonpath='{.metadata.annotations.podpower\.io/predicted-watts}')
[ -z "$left" ] || fail "annotation present although podpower was down"
log "podpower stopped (SIGTERM, exit 0): Deployment created anyway, without annotations"

# --- 5. budgets: deny mode refuses an over-budget workload through the API.
printf 'namespaces:\n  shop: 0.0001\n' >"$WORK/budget.yaml"
start_serve --budget-file "$WORK/budget.yaml" --budget-mode deny
denied=""
for i in $(seq 1 20); do
  if deployment greedy 50 | k apply -f - >"$WORK/greedy.out" 2>&1; then
    k delete deployment greedy -n shop --wait=false >/dev/null 2>&1 || true
    sleep 0.5
  else
    denied=$(cat "$WORK/greedy.out"); break
  fi
done
echo "$denied" | grep -q "budget of namespace shop" ||
  fail "over-budget Deployment was not denied: $denied"
log "over-budget Deployment denied: $(echo "$denied" | tr '\n' ' ' | cut -c1-200)"
stop_serve
log "PASS"
