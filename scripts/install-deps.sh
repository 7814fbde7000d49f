#!/usr/bin/env bash
# Installs what podpower needs to build, test and run its demo, and nothing else.
# Idempotent: when everything is present it checks and exits in well under a second.
#   scripts/install-deps.sh            build + test dependencies
# Environment: PODPOWER_SKIP_APT=1 skips the apt step (for machines managed otherwise).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Debian packages. Split into build, test oracles and real servers used by tests.
BUILD_PKGS=(cmake ninja-build g++ pkg-config clang-format
  libgtest-dev libgmock-dev libbenchmark-dev libcurl4-openssl-dev nlohmann-json3-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libeigen3-dev libopenblas-dev
  libfaiss-dev libssl-dev libcpp-httplib-dev libicu-dev nodejs npm)
TEST_PKGS=(python3-sklearn python3-numpy python3-torch prometheus etcd-server etcd-client wrk chromium)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ "${PODPOWER_SKIP_APT:-0}" != 1 ]; then
  # npm and nodejs are usually preinstalled outside apt; only ask apt when the command is absent too.
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in
      nodejs) command -v node >/dev/null || filtered+=("$p") ;;
      npm) command -v npm >/dev/null || filtered+=("$p") ;;
      *) filtered+=("$p") ;;
    esac
  done
  if [ "${#filtered[@]}" -gt 0 ]; then
    echo "install-deps: installing ${filtered[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
  fi
fi

# DuckDB 1.4.4 C library + header from the npm registry (Debian has no DuckDB), checked by sha256.
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
