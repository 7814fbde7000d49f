#!/usr/bin/env bash
# Installs what one podpower command needs, and nothing else (the README's "Two commands").
#   scripts/install-deps.sh --build   build the podpower binary: compiler, CMake, Ninja, the libraries
#                                     it links, and DuckDB 1.4.4's C library (from npm, into third_party/)
#   scripts/install-deps.sh --demo    --build + what `make demo` runs: Prometheus and promtool,
#                                     python3, curl (scripts/demo*.sh, tests/e2e/prometheus-*.sh)
#   scripts/install-deps.sh --test    everything `make test` needs (the default, also with no argument):
#                                     --demo + GoogleTest, Google Benchmark, clang-format, the Python
#                                     oracles (sklearn, PyTorch), etcd, VictoriaMetrics, wrk, Chromium
#   scripts/install-deps.sh --image   (with any mode above; alone: --test) also buildah and mmdebstrap, for
#                                     scripts/build-image.sh and tests/cli/image_test.sh (the container
#                                     image, built without a registry); that test skips without them
#   scripts/install-deps.sh --fuzz    (with any mode above; alone: --test) also clang and libFuzzer, for
#                                     `make fuzz` (scripts/fuzz.sh; make test only replays their inputs)
#   scripts/install-deps.sh --list [--build|--demo|--test] [--image] [--fuzz]   print the Debian packages, install nothing
# Idempotent: when everything is present it checks and exits in well under a second.
# Environment: PODPOWER_SKIP_APT=1 skips the apt step (for machines managed otherwise).
# tests/deps/demo_packages_test.sh checks that --demo lists only packages the demo build or run uses.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Debian packages, by the first mode that needs them; each mode also installs the ones before it.
# Build the podpower binary (npm, which brings Node.js, fetches DuckDB, see below).
BUILD_PKGS=(cmake ninja-build g++ pkg-config libcurl4-openssl-dev nlohmann-json3-dev
  libyaml-cpp-dev libcli11-dev libfmt-dev libeigen3-dev libopenblas-dev libssl-dev
  libcpp-httplib-dev libicu-dev npm)
# Run the demo: prometheus (ships promtool too), python3 (a JSON read, a free port), curl (readiness).
DEMO_PKGS=(prometheus python3 curl)
# Build and run every test and benchmark: test libraries, the format check, Python oracles, real
# servers (etcd for kube-apiserver; tests/e2e/kube-up.sh installs its Go toolchain itself;
# VictoriaMetrics for labels against a second metrics store), a load generator and a browser for
# the report.
TEST_PKGS=(libgtest-dev libgmock-dev libbenchmark-dev clang-format python3-sklearn python3-numpy
  python3-torch etcd-server etcd-client victoria-metrics wrk chromium)
# Build and run the container image (--image, on top of a mode): buildah builds deploy/Dockerfile
# as root with chroot isolation (its dependency uidmap comes along; no OCI runtime, podman or
# fuse-overlayfs needed), mmdebstrap makes the base image from Debian's packages.
IMAGE_PKGS=(buildah mmdebstrap)
# Fuzz the parsers (--fuzz): clang with libFuzzer and its sanitizers (fuzz/CMakeLists.txt).
FUZZ_PKGS=(clang libfuzzer-14-dev)

mode="test"
list=0
image=0
fuzz=0
for arg in "$@"; do
  case "$arg" in
    --build) mode=build ;;
    --demo) mode=demo ;;
    --test) mode="test" ;;
    --list) list=1 ;;
    --image) image=1 ;;
    --fuzz) fuzz=1 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown argument '$arg' (use --build, --demo, --test, --image, --fuzz, --list)" >&2; exit 2 ;;
  esac
done

pkgs=("${BUILD_PKGS[@]}")
[ "$mode" = build ] || pkgs+=("${DEMO_PKGS[@]}")
[ "$mode" != test ] || pkgs+=("${TEST_PKGS[@]}")
[ "$image" = 0 ] || pkgs+=("${IMAGE_PKGS[@]}")
[ "$fuzz" = 0 ] || pkgs+=("${FUZZ_PKGS[@]}")
if [ "$list" = 1 ]; then
  printf '%s\n' "${pkgs[@]}"
  exit 0
fi

# One dpkg-query for all packages; the ones it does not report as installed are missing.
installed=" $({ dpkg-query -W -f='${Package}=${Status}\n' "${pkgs[@]}" 2>/dev/null || true; } |
  sed -n 's/=install ok installed$//p' | tr '\n' ' ') "
missing=()
for p in "${pkgs[@]}"; do
  case "$installed" in
    *" $p "*) ;;
    *)
      # npm often comes from outside Debian (NodeSource's nodejs ships it): only ask apt when the
      # command is absent too.
      if [ "$p" != npm ] || ! command -v npm >/dev/null; then missing+=("$p"); fi
      ;;
  esac
done
if [ "${#missing[@]}" -gt 0 ] && [ "${PODPOWER_SKIP_APT:-0}" != 1 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null ||
      { echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these servers as system services on install (Prometheus on :9090, etcd on :2379,
  # VictoriaMetrics on :8428). podpower only runs them itself, on free loopback ports: the ones
  # this run installed are stopped and disabled again, so installing test tools starts no daemons.
  if [ -d /run/systemd/system ]; then
    for p in "${missing[@]}"; do
      case "$p" in
        prometheus | etcd-server | victoria-metrics)
          unit=${p%-server}
          $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
          ;;
      esac
    done
  fi
fi

# DuckDB 1.4.4 C library + header from the npm registry (Debian has no DuckDB), checked by sha256.
# Every mode needs it: the binary links it.
DEST="$ROOT/third_party/duckdb"
. "$ROOT/scripts/duckdb.sha256"
if ! { [ -f "$DEST/lib/libduckdb.so" ] && [ -f "$DEST/include/duckdb.h" ] && [ -f "$DEST/.verified" ]; }; then
  echo "install-deps: fetching DuckDB 1.4.4 C library from npm" >&2
  TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
  mkdir -p "$DEST/lib" "$DEST/include"
  ( cd "$TMP" && npm pack --silent @duckdb/node-bindings-linux-x64@1.4.4-r.4 duckdb@1.4.4 >/dev/null )
  tar xzf "$TMP"/duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz -C "$TMP" package/libduckdb.so
  tar xzf "$TMP"/duckdb-1.4.4.tgz -C "$TMP" package/src/duckdb/src/include/duckdb.h
  echo "$DUCKDB_LIB_SHA256  $TMP/package/libduckdb.so" | sha256sum -c --quiet - \
    || { echo "install-deps: libduckdb.so checksum mismatch" >&2; exit 1; }
  echo "$DUCKDB_HEADER_SHA256  $TMP/package/src/duckdb/src/include/duckdb.h" | sha256sum -c --quiet - \
    || { echo "install-deps: duckdb.h checksum mismatch" >&2; exit 1; }
  mv "$TMP/package/libduckdb.so" "$DEST/lib/libduckdb.so"
  mv "$TMP/package/src/duckdb/src/include/duckdb.h" "$DEST/include/duckdb.h"
  touch "$DEST/.verified"
fi
