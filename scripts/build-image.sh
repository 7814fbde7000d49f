#!/usr/bin/env bash
# Builds podpower's container image (deploy/Dockerfile) with buildah, without any image registry.
#   scripts/build-image.sh [--prebuilt BINARY] [--tag NAME] [--no-size]
#
# 1. Base image: debian:bookworm-slim is made from Debian's packages with mmdebstrap (minbase, the
#    docs/man/locales that Docker's slim image leaves out are left out too) and committed into
#    buildah's storage as docker.io/library/debian:bookworm-slim, the name the Dockerfile uses.
#    Skipped when that image is already there (`buildah rmi` it to make it again).
# 2. buildah bud --isolation chroot --pull=never --layers (cached layers: the builder's apt step
#    is not redone while its lines stay the same; --force-rm: a failed build leaves no container).
#      default:            the binary is compiled inside the image from this tree (stage "source"),
#                          its commit pinned with PODPOWER_COMMIT (the context has no .git);
#                          ~15-20 min on 2 cores.
#      --prebuilt BINARY:  the image gets BINARY (built on this Debian 12 host, e.g.
#                          build/src/cli/podpower) and the libduckdb.so it links (stage
#                          "prebuilt", a second build context): for fast iterations, ~1 min.
#    The runtime stage is the same either way.
# 3. Size: uncompressed (the image's layers as a docker-archive) and compressed (that archive
#    through gzip -6, about what a registry stores), and the biggest files and packages inside.
#
# Tag: localhost/podpower:<project version> unless --tag. Prints the tag on the last line.
# Needs root (or a user with subuids) and buildah + mmdebstrap: scripts/install-deps.sh --image.
# Environment: PODPOWER_COMMIT pins the commit of a source build (for a copy of the tree without
# .git); PODPOWER_IMAGE_BASE overrides the base image's name (default
# docker.io/library/debian:bookworm-slim); PODPOWER_DEBIAN_MIRROR the mirror mmdebstrap uses.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${PODPOWER_IMAGE_BASE:-docker.io/library/debian:bookworm-slim}
MIRROR=${PODPOWER_DEBIAN_MIRROR:-http://deb.debian.org}

prebuilt=""
tag=""
size=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=${2:?--prebuilt needs the path of a podpower binary}; shift 2 ;;
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    --no-size) size=0; shift ;;
    -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument '$1' (use --prebuilt BINARY, --tag NAME, --no-size)" >&2; exit 2 ;;
  esac
done
for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null ||
    { echo "build-image: $tool not found; install it with scripts/install-deps.sh --image" >&2; exit 1; }
done
version=$(sed -nE 's/^project\(podpower VERSION ([0-9.]+).*/\1/p' "$ROOT/CMakeLists.txt")
[ -n "$version" ] || { echo "build-image: no project(podpower VERSION ...) in CMakeLists.txt" >&2; exit 1; }
tag=${tag:-localhost/podpower:$version}

TMP=$(mktemp -d)
cleanup() {
  [ -z "${ctr:-}" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
now() { date +%s; }

# 1. The base image.
if buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  echo "build-image: base image $BASE already present"
else
  echo "build-image: making $BASE with mmdebstrap (about 1-2 min)"
  t0=$(now)
  # As Docker's debian:bookworm-slim: /usr merged by the hook (not by the usrmerge package, which
  # brings Perl), no documentation (copyrights kept), manuals or translations, and apt keeps no
  # downloaded .deb files or package caches in the layers of later RUN steps.
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='printf "%s\n" "Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" \
      "APT::Keep-Downloaded-Packages \"false\";" >"$1/etc/apt/apt.conf.d/docker-clean"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
    bookworm "$TMP/rootfs.tar" \
    "deb $MIRROR/debian bookworm main" \
    "deb $MIRROR/debian bookworm-updates main" \
    "deb $MIRROR/debian-security bookworm-security main"
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$TMP/rootfs.tar" / >/dev/null
  buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --os linux --arch amd64 "$ctr"
  buildah commit --quiet --rm "$ctr" "$BASE" >/dev/null
  ctr=""
  rm -f "$TMP/rootfs.tar"
  echo "build-image: base image made in $(($(now) - t0)) s"
fi

# 2. The image.
args=(--isolation chroot --pull=never --layers --force-rm -f "$ROOT/deploy/Dockerfile" -t "$tag")
if [ -n "$prebuilt" ]; then
  [ -x "$prebuilt" ] || { echo "build-image: $prebuilt is not an executable" >&2; exit 1; }
  # The binary and the libduckdb.so it resolves (its RUNPATH points into the build tree), laid out
  # as under /usr/local.
  duckdb=$(ldd "$prebuilt" | sed -nE 's/^[[:space:]]*libduckdb\.so => (\/[^ ]+) .*/\1/p')
  [ -n "$duckdb" ] || { echo "build-image: $prebuilt does not resolve libduckdb.so (ldd)" >&2; exit 1; }
  mkdir -p "$TMP/prebuilt/bin" "$TMP/prebuilt/lib/podpower"
  cp "$prebuilt" "$TMP/prebuilt/bin/podpower"
  cp "$duckdb" "$TMP/prebuilt/lib/podpower/libduckdb.so"
  line=$("$prebuilt" --version)
  commit=$(sed -nE 's/.*\(commit ([^)]+)\).*/\1/p' <<<"$line")
  args+=(--target prebuilt --build-context "hostbinary=$TMP/prebuilt" --build-arg "PODPOWER_COMMIT=${commit:-unknown}")
  echo "build-image: $tag with the prebuilt $line"
else
  [ -f "$ROOT/third_party/duckdb/lib/libduckdb.so" ] && [ -f "$ROOT/third_party/duckdb/include/duckdb.h" ] ||
    { echo "build-image: third_party/duckdb is missing; run scripts/install-deps.sh --image" >&2; exit 1; }
  # The commit as src/cli/version.cmake would say it for this tree (short hash, -dirty when
  # tracked files differ from it), since the build context has no .git.
  commit=${PODPOWER_COMMIT:-unknown}
  if [ -z "${PODPOWER_COMMIT:-}" ] && hash=$(git -C "$ROOT" --no-optional-locks rev-parse --short HEAD 2>/dev/null); then
    commit=$hash
    [ -z "$(git -C "$ROOT" --no-optional-locks status --porcelain --untracked-files=no --ignore-submodules)" ] ||
      commit+=-dirty
  fi
  args+=(--build-arg "PODPOWER_COMMIT=$commit")
  echo "build-image: $tag compiled from source (commit $commit)"
fi
t0=$(now)
buildah bud "${args[@]}" "$ROOT"
echo "build-image: built $tag in $(($(now) - t0)) s"

# 3. Size, and what makes it up.
if [ "$size" = 1 ]; then
  buildah push --quiet "$tag" "docker-archive:$TMP/image.tar:$tag" >/dev/null
  raw=$(stat -c %s "$TMP/image.tar")
  gz=$(gzip -6 -c "$TMP/image.tar" | wc -c)
  rm -f "$TMP/image.tar"
  mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
  echo "build-image: image size $(mb "$raw") uncompressed, $(mb "$gz") gzip-compressed"
  ctr=$(buildah from --pull=never "$tag")
  mnt=$(buildah mount "$ctr")
  echo "build-image: biggest files in the image:"
  find "$mnt" -xdev -type f -size +2M -printf '%s %P\n' | sort -rn | head -8 |
    awk '{ printf "  %7.1f MB  /%s\n", $1 / 1e6, $2 }'
  echo "build-image: biggest packages in the image (installed size):"
  chroot "$mnt" dpkg-query -W -f='${Installed-Size} ${Package}\n' | sort -rn | head -8 |
    awk '{ printf "  %7.1f MB  %s\n", $1 / 1e3, $2 }'
  buildah umount "$ctr" >/dev/null
  buildah rm "$ctr" >/dev/null
  ctr=""
fi
echo "$tag"
