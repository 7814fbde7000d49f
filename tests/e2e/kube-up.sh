#!/usr/bin/env bash
# A real Kubernetes control plane (etcd + kube-apiserver v1.20.2 [+ kube-controller-manager]) on
# loopback for podpower's collector tests. See docs/formats/collect.md and
# /work/shared/reference/kubernetes-reference.md §6 for where the recipe comes from.
#
#   kube-up.sh build              build kube-apiserver/controller-manager once into the cache
#   kube-up.sh start DIR          start etcd + apiserver in DIR (certs, token, kubeconfig, pids)
#   kube-up.sh stop DIR           stop everything started in DIR, by pid
#   kube-up.sh stop-apiserver DIR / start-apiserver DIR   kill / restart only the apiserver
#
# Environment for start: KUBE_WATCH_CACHE=false (needed to force 410 Gone through compaction),
# KUBE_CONTROLLER_MANAGER=1 (also start the controller manager).
# DIR/env afterwards holds shell assignments: SERVER, TOKEN, CA, KUBECONFIG_FILE, ETCD_ENDPOINT, ...
# The binaries live in ${PODPOWER_CACHE:-$HOME/.cache/podpower}/kubernetes-1.20.2/bin, outside the
# repo, so a fresh clone on the same machine reuses them. Exit status 3 means "cannot build here".
set -euo pipefail

CACHE=${PODPOWER_CACHE:-$HOME/.cache/podpower}
KDIR=$CACHE/kubernetes-1.20.2
BIN=$KDIR/bin

log() { echo "kube-up: $*" >&2; }

have_binaries() { [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; }

install_prereqs() {
  local missing=()
  for p in dpkg-dev golang-go etcd-server etcd-client golang-github-modern-go-reflect2-dev \
    golang-github-json-iterator-go-dev openssl curl rsync make; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    log "enabling deb-src entries"
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee /etc/apt/sources.list.d/podpower-deb-src.sources >/dev/null
    $SUDO apt-get update -qq
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build() {
  if have_binaries; then echo "$BIN"; return 0; fi
  mkdir -p "$KDIR"
  exec 9>"$KDIR/.lock"
  flock 9
  if have_binaries; then echo "$BIN"; return 0; fi
  install_prereqs || { log "cannot install build prerequisites"; return 3; }
  local SRC=$KDIR/src
  if [ ! -d "$SRC/cmd/kube-apiserver" ]; then
    rm -rf "$KDIR/src" "$KDIR/apt"
    mkdir -p "$KDIR/apt"
    log "fetching Debian's kubernetes source package"
    (cd "$KDIR/apt" && apt-get source -qq kubernetes >/dev/null 2>&1) ||
      { log "apt-get source kubernetes failed"; return 3; }
    local d; d=$(find "$KDIR/apt" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -1)
    mv "$d" "$SRC"
    rm -rf "$KDIR/apt"
    # The vendored reflect2 1.0.1 crashes under Go >= 1.18; use Debian's fixed copies.
    for pkg in github.com/modern-go/reflect2 github.com/json-iterator/go; do
      rm -rf "$SRC/vendor/$pkg"
      cp -r "/usr/share/gocode/src/$pkg" "$SRC/vendor/$pkg"
      find "$SRC/vendor/$pkg" -name '*_test.go' -delete
    done
  fi
  rm -rf "$SRC/_output"  # a failed earlier build leaves empty tool binaries behind
  log "building kube-apiserver and kube-controller-manager (several minutes, once)"
  (cd "$SRC" && env -u GOFLAGS CGO_ENABLED=0 GOPROXY=off GOCACHE="$KDIR/gocache" \
    nice make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$KDIR/build.log" 2>&1) ||
    { log "build failed, see $KDIR/build.log"; return 3; }
  mkdir -p "$BIN"
  cp "$SRC/_output/bin/kube-apiserver" "$SRC/_output/bin/kube-controller-manager" "$BIN/"
  # The tree and Go cache are only needed to build; keep the cache small.
  rm -rf "$SRC/_output" "$KDIR/gocache"
  echo "$BIN"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Writes the certificates, keys and token file of a fresh test cluster into $1.
make_pki() {
  local d=$1
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=podpower-test-ca
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=kube-apiserver
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext
    # A client certificate the apiserver maps to user "cert-admin" in group system:masters.
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/O=system:masters/CN=cert-admin"
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 -extfile client.ext
    # An unrelated CA for "wrong CA" tests.
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj /CN=other-ca
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) >/dev/null 2>&1
  TOKEN=$(openssl rand -hex 16)
  echo "$TOKEN,admin,admin-uid,system:masters" >"$d/tokens.csv"
  chmod 600 "$d/tokens.csv" "$d"/*.key
}

start_apiserver() {
  local d=$1
  # shellcheck disable=SC1091
  . "$d/env"
  nohup "$BIN/kube-apiserver" --etcd-servers="$ETCD_ENDPOINT" --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" --insecure-port=0 \
    --tls-cert-file="$d/server.crt" --tls-private-key-file="$d/server.key" \
    --client-ca-file="$d/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$d/sa.pub" \
    --service-account-signing-key-file="$d/sa.key" --token-auth-file="$d/tokens.csv" \
    --authorization-mode=RBAC --service-cluster-ip-range=10.0.0.0/24 \
    --endpoint-reconciler-type=none --watch-cache="${WATCH_CACHE}" \
    --enable-priority-and-fairness=false >>"$d/apiserver.log" 2>&1 &
  echo $! >"$d/apiserver.pid"
  local i
  for i in $(seq 1 240); do
    if curl -sf --cacert "$d/ca.crt" -H "Authorization: Bearer $TOKEN" "$SERVER/readyz" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$d/apiserver.pid")" 2>/dev/null || { log "kube-apiserver exited, see $d/apiserver.log"; return 1; }
    sleep 0.25
  done
  log "kube-apiserver not ready after 60 s, see $d/apiserver.log"
  return 1
}

stop_pid_file() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

start() {
  local d=$1
  build >/dev/null || return $?
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  make_pki "$d"
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  cat >"$d/env" <<ENV
BIN=$BIN
TOKEN=$TOKEN
CA=$d/ca.crt
CLIENT_CERT=$d/client.crt
CLIENT_KEY=$d/client.key
OTHER_CA=$d/other-ca.crt
APISERVER_PORT=$api_port
SERVER=https://127.0.0.1:$api_port
ETCD_ENDPOINT=http://127.0.0.1:$etcd_port
KUBECONFIG_FILE=$d/kubeconfig
WATCH_CACHE=${KUBE_WATCH_CACHE:-true}
ENV
  cat >"$d/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $d/ca.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: test
  context: {cluster: test, user: admin, namespace: default}
current-context: test
KC
  chmod 600 "$d/kubeconfig"
  nohup etcd --data-dir "$d/etcd" --name podpower-test \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "podpower-test=http://127.0.0.1:$peer_port" >"$d/etcd.log" 2>&1 &
  echo $! >"$d/etcd.pid"
  start_apiserver "$d" || return 1
  if [ "${KUBE_CONTROLLER_MANAGER:-0}" = 1 ]; then
    nohup "$BIN/kube-controller-manager" --kubeconfig="$d/kubeconfig" --bind-address=127.0.0.1 \
      --secure-port=0 --port=0 --leader-elect=false --service-account-private-key-file="$d/sa.key" \
      --root-ca-file="$d/ca.crt" --use-service-account-credentials=false \
      --controllers='*,-nodeipam,-nodelifecycle,-serviceaccount-token,-attachdetach,-persistentvolume-binder,-route,-service,-cloud-node-lifecycle' \
      >"$d/controller-manager.log" 2>&1 &
    echo $! >"$d/controller-manager.pid"
  fi
  echo "$d/env"
}

stop() {
  local d=$1
  stop_pid_file "$d/controller-manager.pid"
  stop_pid_file "$d/apiserver.pid"
  stop_pid_file "$d/etcd.pid"
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?DIR}" ;;
  stop) stop "${2:?DIR}" ;;
  stop-apiserver) stop_pid_file "${2:?DIR}/apiserver.pid" ;;
  start-apiserver) start_apiserver "${2:?DIR}" ;;
  *) echo "usage: $0 build|start DIR|stop DIR|stop-apiserver DIR|start-apiserver DIR" >&2; exit 2 ;;
esac
