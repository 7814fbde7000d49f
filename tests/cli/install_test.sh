#!/usr/bin/env bash
# `make install` as a packager runs it: into a temporary DESTDIR, with the default PREFIX
# (/usr/local) and with another one. Checks what lands where (binary, the kubectl-podpower symlink,
# DuckDB's library, the man pages), that the installed binary runs from there alone (its RPATH finds
# the installed DuckDB, not the build's), and that the installed kubectl-podpower prints the same
# --version as the build, also when kubectl runs it as a plugin.
#
# Usage: install_test.sh PODPOWER_BINARY SOURCE_DIR BUILD_DIR. `make install` first runs `make
# demo-build` (install-deps --demo, a no-op when all is present; the binary, up to date under CTest).
set -euo pipefail

BIN=$(realpath "${1:?usage: $0 PODPOWER_BINARY SOURCE_DIR BUILD_DIR}")
SRC=$(realpath "${2:?usage: $0 PODPOWER_BINARY SOURCE_DIR BUILD_DIR}")
BUILD=$(realpath "${3:?usage: $0 PODPOWER_BINARY SOURCE_DIR BUILD_DIR}")
W=$(mktemp -d "${TMPDIR:-/tmp}/podpower-install.XXXXXX")
trap 'rm -rf "$W"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "   ok: $*"; }

EXPECTED=""
for prefix in /usr/local /opt/podpower; do
  D=$W/dest$(echo "$prefix" | tr / _)
  P=$D$prefix
  if [ "$prefix" = /usr/local ]; then
    echo "\$ make install DESTDIR=$D"
    make -C "$SRC" --no-print-directory install BUILD="$BUILD" DESTDIR="$D" >"$W/make.log" 2>&1 ||
      { cat "$W/make.log" >&2; fail "make install"; }
  else
    echo "\$ make install DESTDIR=$D PREFIX=$prefix"
    make -C "$SRC" --no-print-directory install BUILD="$BUILD" DESTDIR="$D" PREFIX="$prefix" \
      >"$W/make.log" 2>&1 || { cat "$W/make.log" >&2; fail "make install PREFIX=$prefix"; }
  fi
  [ -x "$P/bin/podpower" ] || fail "no $P/bin/podpower"
  # After the first install, which brings the binary up to date.
  [ -n "$EXPECTED" ] || EXPECTED=$("$BIN" --version)
  [ -L "$P/bin/kubectl-podpower" ] && [ "$(readlink "$P/bin/kubectl-podpower")" = podpower ] ||
    fail "$P/bin/kubectl-podpower is not a symlink to podpower"
  [ -f "$P/lib/podpower/libduckdb.so" ] || fail "no $P/lib/podpower/libduckdb.so"
  [ -s "$P/share/man/man1/podpower.1" ] || fail "no $P/share/man/man1/podpower.1"
  [ "$(readlink "$P/share/man/man1/kubectl-podpower.1")" = podpower.1 ] || fail "no kubectl-podpower.1 link"
  # Nothing outside DESTDIR.
  extra=$(find "$D" -mindepth 1 -maxdepth 1 ! -name "$(echo "$prefix" | cut -d/ -f2)")
  [ -z "$extra" ] || fail "installed outside PREFIX: $extra"
  ok "bin/podpower, bin/kubectl-podpower -> podpower, lib/podpower/libduckdb.so, share/man/man1/{podpower,kubectl-podpower}.1 under $P"

  # The installed copy finds the installed DuckDB (RPATH $ORIGIN/../lib/podpower).
  lib=$(ldd "$P/bin/podpower" | awk '/libduckdb/ {print $3}')
  [ "$(realpath "$lib")" = "$(realpath "$P/lib/podpower/libduckdb.so")" ] ||
    fail "installed podpower loads DuckDB from '$lib', not from $P/lib/podpower"
  ok "installed podpower loads $lib"

  got=$("$P/bin/kubectl-podpower" --version)
  [ "$got" = "$EXPECTED" ] || fail "installed kubectl-podpower --version: '$got', build: '$EXPECTED'"
  ok "$P/bin/kubectl-podpower --version: $got"
done

# As kubectl finds it on PATH.
if command -v kubectl >/dev/null; then
  got=$(PATH="$W/dest_usr_local/usr/local/bin:$PATH" kubectl podpower --version)
  [ "$got" = "$EXPECTED" ] || fail "kubectl podpower --version: '$got'"
  ok "kubectl podpower --version (installed plugin): $got"
  PATH="$W/dest_usr_local/usr/local/bin:$PATH" kubectl plugin list 2>/dev/null | grep -q 'kubectl-podpower$' ||
    fail "kubectl plugin list does not show the installed kubectl-podpower"
  ok "kubectl plugin list shows it"
else
  echo "   (no kubectl here: plugin dispatch not checked)"
fi

# The man page renders, names the version and documents the plugin and every command.
MAN=$W/dest_usr_local/usr/local/share/man/man1/podpower.1
grep -qF "$EXPECTED" "$MAN" || fail "the man page does not name $EXPECTED"
for section in 'podpower predict' 'podpower serve' 'podpower collect from-file' 'KUBECTL PLUGIN'; do
  grep -q "^\.S[SH] $section\$" "$MAN" || fail "the man page lacks section '$section'"
done
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$MAN" 2>"$W/man.err" >"$W/man.txt" || { cat "$W/man.err" >&2; fail "man -l"; }
  [ ! -s "$W/man.err" ] || { cat "$W/man.err" >&2; fail "man printed warnings"; }
  grep -q -- '--server' "$W/man.txt" || fail "rendered man page lacks --server"
  ok "man -l renders it without warnings ($(wc -l <"$W/man.txt") lines)"
fi
echo "PASS: make install"
