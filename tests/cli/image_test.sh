#!/usr/bin/env bash
# The container image, built and run for real (issue 15): scripts/build-image.sh builds
# deploy/Dockerfile with buildah (base image from mmdebstrap), then the image's own entrypoint and
# command (read from the image's config, with --listen/--health-listen added) run inside the
# built image with `buildah run` as the image's user, on artifacts made here from examples/ and
# mounted read-only at /artifacts, as the Deployment mounts them. Checked from the host (buildah
# run shares its network): /healthz, /readyz, /predict with a real InferenceRequest (the same
# prediction as the host binary's `podpower predict`), /metrics (build info with the commit, the
# /predict counted); inside the image: `podpower --version` prints the commit, every library
# resolves (ldd), the server runs as uid 65532; a SIGTERM ends it cleanly. Also: the Dockerfile's
# builder packages are scripts/install-deps.sh --list --build's (without npm).
#
# Default: the image gets the binary under test (build-image.sh --prebuilt, ~1 min; the first run
# also makes the base image, ~3 min). PODPOWER_IMAGE_FROM_SOURCE=1 compiles it inside the image
# instead (the Dockerfile's default stage; 15-20 min on 2 cores) and checks the commit against git.
# Exit 77 (skipped, with the reason) only when buildah or mmdebstrap is absent
# (scripts/install-deps.sh --image installs them). Removes the container and the image it made.
# Usage: image_test.sh <podpower binary> <repo root> [python3]
set -uo pipefail
BIN=$(realpath "$1")
ROOT=$(cd "$2" && pwd)
PY=${3:-python3}
for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null ||
    { echo "SKIP: $tool is not installed (scripts/install-deps.sh --image installs it)"; exit 77; }
done

TAG=localhost/podpower:image-test
CTR=podpower-image-test-$$
TMP=$(mktemp -d)
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null
  buildah rm "$CTR" >/dev/null 2>&1
  buildah rmi "$TAG" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
# A copy: builds in the same folder may relink the binary while this test runs (its RUNPATH still
# finds libduckdb.so in the build tree's third_party/).
cp "$BIN" "$TMP/podpower" || exit 1
BIN=$TMP/podpower

# The builder stage installs what install-deps.sh --build does, less npm (DuckDB comes from the
# build context). The list is the RUN line(s) between "AS source" and the first WORKDIR.
want=$("$ROOT/scripts/install-deps.sh" --list --build | grep -vx npm | sort)
have=$(sed -n '/ AS source$/,/^WORKDIR/p' "$ROOT/deploy/Dockerfile" | tr ' \\' '\n\n' |
  sed -n '/^--no-install-recommends$/,/^&&$/p' | grep -vE '^(--no-install-recommends|&&|)$' | sort)
[ "$want" = "$have" ] ||
  fail "deploy/Dockerfile's builder packages differ from install-deps.sh --list --build (less npm): $(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"

# 1. Build.
t0=$(date +%s)
if [ "${PODPOWER_IMAGE_FROM_SOURCE:-0}" = 1 ]; then
  "$ROOT/scripts/build-image.sh" --tag "$TAG" >"$TMP/build.log" 2>&1
else
  "$ROOT/scripts/build-image.sh" --prebuilt "$BIN" --tag "$TAG" >"$TMP/build.log" 2>&1
fi
rc=$?
if [ "$rc" != 0 ]; then
  tail -40 "$TMP/build.log" >&2
  echo "FAIL: scripts/build-image.sh exited with $rc" >&2
  exit 1
fi
sed -n '/^build-image: built/,$p' "$TMP/build.log" | sed 's/^/  /'
echo "image built in $(($(date +%s) - t0)) s"

# 2. Artifacts as scripts/demo.sh makes them (host binary, the bundled cluster sample), readable
# by the image's user; the request is the sample's first recorded InferenceRequest.
ART=$TMP/artifacts
mkdir -p "$ART"
D=$ROOT/examples/data/cluster-a
{
  "$BIN" encode fit --input "$D/inference_requests.ndjson" --encoder "$ART/encoder.ppenc" --text hash &&
    "$BIN" encode transform --input "$D/inference_requests.ndjson" --encoder "$ART/encoder.ppenc" \
      --out "$TMP/features.parquet" &&
    "$BIN" join --features "$TMP/features.parquet" --labels "$D/kepler_labels.parquet" \
      --out "$TMP/train_rows.parquet" &&
    "$BIN" train --train "$TMP/train_rows.parquet" --target energy_step_j --aggregate \
      --out "$ART/model.ppknn" &&
    head -1 "$D/inference_requests.ndjson" >"$TMP/request.json" &&
    "$BIN" predict --encoder "$ART/encoder.ppenc" --model "$ART/model.ppknn" \
      --input "$TMP/request.json" --format json --out "$TMP/host_predictions.json"
} >"$TMP/artifacts.log" 2>&1 || { cat "$TMP/artifacts.log" >&2; echo "FAIL: making the artifacts" >&2; exit 1; }
chmod 755 "$TMP" "$ART" && chmod 644 "$ART"/*

# 3. The image's configuration: entrypoint + command (what a runtime starts), user.
buildah inspect --type image "$TAG" >"$TMP/inspect.json" || { echo "FAIL: buildah inspect $TAG" >&2; exit 1; }
"$PY" - "$TMP/inspect.json" "$TMP" <<'EOF' || { echo "FAIL: reading the image's config" >&2; exit 1; }
import json, sys
c = json.load(open(sys.argv[1]))["OCIv1"]["config"]
for name, value in (("user", [c.get("User", "")]), ("entry", c.get("Entrypoint") or []),
                    ("cmd", c.get("Cmd") or [])):
    open(f"{sys.argv[2]}/{name}", "w").write("".join(v + "\n" for v in value))
EOF
user=$(cat "$TMP/user")
mapfile -t entry <"$TMP/entry"
mapfile -t cmd <"$TMP/cmd"
[ "$user" = 65532:65532 ] || fail "the image's user is '$user', not 65532:65532"
[ "${entry[*]}" = /usr/local/bin/podpower ] || fail "the image's entrypoint is '${entry[*]}'"
[ "${cmd[0]:-}" = serve ] || fail "the image's command is '${cmd[*]}', not serve ..."

buildah from --pull=never --name "$CTR" "$TAG" >/dev/null || { echo "FAIL: buildah from $TAG" >&2; exit 1; }
in_image() { buildah run --isolation chroot --user "$user" "$CTR" -- "$@"; }

# 4. podpower --version inside the image: the commit of the binary that went in.
version=$(in_image /usr/local/bin/podpower --version 2>&1)
echo "inside the image: $version"
if [ "${PODPOWER_IMAGE_FROM_SOURCE:-0}" = 1 ]; then
  hash=$(git -C "$ROOT" --no-optional-locks rev-parse --short HEAD 2>/dev/null) || hash=""
  [ -z "$hash" ] || grep -q "(commit $hash" <<<"$version" || fail "--version in the image: '$version', expected commit $hash"
else
  [ "$version" = "$("$BIN" --version)" ] || fail "--version in the image: '$version', on the host: '$("$BIN" --version)'"
fi
grep -qE '^podpower [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}' <<<"$version" ||
  fail "--version in the image prints no commit: '$version'"
missing=$(in_image ldd /usr/local/bin/podpower 2>&1 | grep 'not found')
[ -z "$missing" ] || fail "libraries missing in the image: $missing"

# 5. The entrypoint serving, as the image's user, on free loopback ports of the host's network.
read -r port hport < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
buildah run --isolation chroot --user "$user" -v "$ART:/artifacts:ro" "$CTR" -- \
  "${entry[@]}" "${cmd[@]}" --listen="127.0.0.1:$port" --health-listen="127.0.0.1:$hport" \
  >"$TMP/serve.log" 2>&1 &
server=$!
ready=0
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  cat "$TMP/serve.log" >&2
  echo "FAIL: podpower serve inside the image never became ready" >&2
  exit 1
fi
# The serving process (found by its unique --listen) runs as uid 65532.
pid=""
for d in /proc/[0-9]*; do
  tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -q "^/usr/local/bin/podpower serve .*--listen=127.0.0.1:$port " &&
    pid=${d#/proc/}
done
[ -n "$pid" ] || fail "no podpower serve process with --listen=127.0.0.1:$port"
[ -z "$pid" ] || [ "$(stat -c %u "/proc/$pid")" = 65532 ] || fail "podpower serve runs as uid $(stat -c %u "/proc/$pid")"

get() { curl -sS -o "$TMP/body" -w '%{http_code}' "$@"; }
for p in "$port" "$hport"; do
  for ep in healthz readyz; do
    code=$(get "http://127.0.0.1:$p/$ep")
    [ "$code" = 200 ] && [ "$(cat "$TMP/body")" = ok ] ||
      fail "GET :$p/$ep -> $code '$(head -c 200 "$TMP/body")', expected 200 ok"
  done
done
code=$(get -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/request.json" \
  "http://127.0.0.1:$port/predict")
cp "$TMP/body" "$TMP/predict.json"
if [ "$code" != 200 ]; then
  fail "POST /predict -> $code: $(head -c 300 "$TMP/body")"
else
  # Same artifacts, same record: the image's answer is the host binary's (a prebuilt image runs
  # that very binary; a source build the same code, same compiler and libraries), to 1e-9 relative.
  "$PY" - "$TMP/predict.json" "$TMP/host_predictions.json" <<'EOF' || fail "/predict answer differs from podpower predict"
import json, sys
got = json.load(open(sys.argv[1]))
host = json.load(open(sys.argv[2]))
host = host[0]
a, b = got.get("pred_energy_step_j"), host.get("pred_energy_step_j")
if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or abs(a - b) > 1e-9 * max(1.0, abs(b)):
    sys.exit(f"pred_energy_step_j: image {a!r}, host {b!r}")
if not isinstance(got.get("predicted_watts"), (int, float)):
    sys.exit(f"predicted_watts: {got.get('predicted_watts')!r}, expected a number")
for k in ("workload_kind", "workload_name", "namespace"):
    if got.get(k) != host.get(k):
        sys.exit(f"{k}: image {got.get(k)!r}, host {host.get(k)!r}")
print(f"POST /predict in the image: {got['workload_kind']}/{got['workload_name']} "
      f"pred_energy_step_j={got['pred_energy_step_j']} predicted_watts={got['predicted_watts']}")
EOF
fi
code=$(get "http://127.0.0.1:$hport/metrics")
commit=$(sed -nE 's/.*\(commit ([^)]+)\).*/\1/p' <<<"$version")
if [ "$code" != 200 ]; then
  fail "GET /metrics -> $code"
else
  grep -qF "podpower_build_info{version=\"" "$TMP/body" && grep -qF "commit=\"$commit\"} 1" "$TMP/body" ||
    fail "/metrics has no podpower_build_info with commit $commit: $(grep build_info "$TMP/body")"
  grep -qE '^podpower_http_requests_total\{endpoint="/predict",code="200"\} 1$' "$TMP/body" ||
    fail "/metrics does not count the one /predict: $(grep requests_total "$TMP/body" | tr '\n' ' ')"
fi

# 6. SIGTERM (what the kubelet sends) ends serve cleanly, and buildah run with it.
[ -z "$pid" ] || kill -TERM "$pid"
rc=0
wait "$server" || rc=$?
server=""
[ "$rc" = 0 ] || { fail "podpower serve in the image exited with $rc after SIGTERM"; cat "$TMP/serve.log" >&2; }

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "ok: the image ($TAG) serves /healthz, /readyz, /predict, /metrics from inside as uid 65532; $version"
