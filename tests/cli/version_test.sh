#!/usr/bin/env bash
# Version and provenance (issue 15).
#   1. src/cli/version.cmake, the build step that writes version.cc, on throw-away git repositories:
#      the short commit; "-dirty" for a changed tracked file (not for an untracked one); a new commit
#      picked up by the next run; the file rewritten only when its text changes (so Ninja recompiles
#      nothing); .git/index never written (builds run while people commit in the same checkout);
#      "unknown" outside git and in a folder that is not the top of its repository; PODPOWER_COMMIT
#      used as given. The generated file compiles against io/version.h.
#   2. The podpower binary: --version, and the version + commit in the encoder and model artifacts'
#      headers, evaluate --json and the --report page. (/metrics: kubectl_plugin_test.sh.)
# Usage: version_test.sh PODPOWER_BINARY SOURCE_DIR [PYTHON]
set -euo pipefail

BIN=$(realpath "${1:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
SRC=$(realpath "${2:?usage: $0 PODPOWER_BINARY SOURCE_DIR [PYTHON]}")
PY=${3:-/usr/bin/python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/podpower-version.XXXXXX")
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "   ok: $*"; }

echo "== 1. version.cmake"
stamp() { # stamp SOURCE_DIR [COMMIT]: runs the generator into $W/version.cc, prints Commit()
  cmake -DSOURCE_DIR="$1" -DOUTPUT="$W/version.cc" -DVERSION=9.8.7 -DCOMMIT="${2:-}" \
    -P "$SRC/src/cli/version.cmake" || fail "version.cmake failed"
  sed -n 's/^const char\* Commit() { return "\(.*\)"; }$/\1/p' "$W/version.cc"
}
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1: $3"; }

R=$W/repo
git init -q "$R"
git -C "$R" config user.email t@example.com
git -C "$R" config user.name test
echo one >"$R/a.txt"
git -C "$R" add a.txt
git -C "$R" commit -qm one
H1=$(git -C "$R" rev-parse --short HEAD)
expect "clean tree" "$(stamp "$R")" "$H1"
grep -qF 'const char* Version() { return "9.8.7"; }' "$W/version.cc" || fail "Version() is not 9.8.7"
grep -qF "\"podpower 9.8.7 (commit $H1)\"" "$W/version.cc" || fail "VersionLine() wrong"
before=$(stat -c '%i %Y.%y' "$W/version.cc")
sleep 1.1
stamp "$R" >/dev/null
expect "unchanged commit: version.cc not rewritten" "$(stat -c '%i %Y.%y' "$W/version.cc")" "$before"

echo untracked >"$R/new.txt"
expect "an untracked file is not dirty" "$(stamp "$R")" "$H1"
# A tracked file changed after the index last saw it: status must not refresh .git/index.
index_before=$(stat -c '%Y.%y' "$R/.git/index")
sleep 1.1
echo two >"$R/a.txt"
expect "a changed tracked file" "$(stamp "$R")" "$H1-dirty"
touch "$R/a.txt" && echo one >"$R/a.txt" # same content again, newer mtime: stat-dirty only
expect "same content, newer mtime" "$(stamp "$R")" "$H1"
expect ".git/index not written by the stamp" "$(stat -c '%Y.%y' "$R/.git/index")" "$index_before"
echo three >"$R/a.txt"
git -C "$R" commit -qam three
H2=$(git -C "$R" rev-parse --short HEAD)
[ "$H2" != "$H1" ] || fail "test set-up: same hash"
expect "a new commit, picked up without reconfiguring" "$(stamp "$R")" "$H2"

mkdir -p "$R/sub" "$W/plain"
expect "a folder inside another repository" "$(stamp "$R/sub")" unknown
expect "outside git" "$(stamp "$W/plain")" unknown
expect "PODPOWER_COMMIT given" "$(stamp "$W/plain" abc1234)" abc1234

printf '#include <cstdio>\n#include "io/version.h"\nint main() { std::puts(podpower::VersionLine()); }\n' >"$W/main.cc"
c++ -std=c++20 -Wall -Wextra -Werror -I"$SRC/src" "$W/version.cc" "$W/main.cc" -o "$W/v" ||
  fail "the generated version.cc does not compile"
expect "generated version.cc compiled" "$("$W/v")" "podpower 9.8.7 (commit abc1234)"

echo "== 2. the binary and what it writes"
LINE=$("$BIN" --version)
[[ "$LINE" =~ ^podpower\ ([0-9]+\.[0-9]+\.[0-9]+)\ \(commit\ ([0-9a-f]{7,}(-dirty)?|unknown)\)$ ]] ||
  fail "--version printed '$LINE'"
VERSION=${BASH_REMATCH[1]}
COMMIT=${BASH_REMATCH[2]}
expect "--version semver = project(VERSION)" "$VERSION" \
  "$(sed -n 's/^project(podpower VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")"
ok "$LINE"

A=$SRC/examples/data/cluster-a
"$BIN" encode fit --input "$A/inference_requests.ndjson" --encoder "$W/enc.ppenc" --text hash 2>/dev/null
"$BIN" encode transform --input "$A/inference_requests.ndjson" --encoder "$W/enc.ppenc" \
  --out "$W/features.parquet" 2>/dev/null
"$BIN" join --features "$W/features.parquet" --labels "$A/kepler_labels.parquet" \
  --out "$W/train.parquet" 2>/dev/null
"$BIN" train --train "$W/train.parquet" --target energy_step_j --aggregate --out "$W/model.ppknn" 2>/dev/null
"$BIN" evaluate --train "$W/train.parquet" --target energy_step_j --aggregate --json "$W/eval.json" \
  --report "$W/report.html" >/dev/null 2>&1 || fail "evaluate failed"
"$PY" - "$W" "$VERSION" "$COMMIT" <<'PYEOF' || fail "provenance"
import json, struct, sys
w, version, commit = sys.argv[1:]
def check(what, header):
    got = (header.get("podpower_version"), header.get("podpower_commit"))
    if got != (version, commit):
        sys.exit(f"{what}: podpower_version/commit {got}, expected {(version, commit)}")
    print(f"   ok: {what}: podpower_version {version}, podpower_commit {commit}")
enc = open(f"{w}/enc.ppenc", "rb").read().split(b"\n")
check("encoder header", json.loads(enc[1]))
knn = open(f"{w}/model.ppknn", "rb").read()
size = struct.unpack("<I", knn[12:16])[0]
header = json.loads(knn[16:16 + size])
check("model header", header)
if header.get("created_by") != f"podpower {version}":
    sys.exit(f"model created_by {header.get('created_by')!r}")
check("evaluate --json", json.load(open(f"{w}/eval.json")))
html = open(f"{w}/report.html").read()
line = f"podpower {version} (commit {commit})"
for needle in (f"<meta name='generator' content='{line}'>", f"Written by {line}."):
    if needle not in html:
        sys.exit(f"report.html lacks {needle!r}")
print(f"   ok: evaluate --report: generator meta and footer name {line}")
PYEOF
echo "PASS: version"
