#!/usr/bin/env bash
# `make demo` installs no package the demo does not use (issue 15). Installs nothing; reads
# scripts/install-deps.sh --list, the Makefile (make -n demo), CMakeLists.txt and the demo scripts.
#
# Every package of `scripts/install-deps.sh --list --demo` needs a reason below, and each reason must
# hold in today's files:
#   run:CMD     the demo runs CMD: a command position in scripts/demo.sh or a script it calls,
#               transitively (scripts/demo-simulated.sh, tests/e2e/prometheus-*.sh), comments aside
#   cmake:NAME  building the binary with tests and benchmarks off needs NAME: find_package(NAME) or
#               pkg_check_modules(.. NAME) in CMakeLists.txt outside its PODPOWER_TESTS/BENCH blocks
#   make:WORD   the commands of `make -n demo` contain WORD (cmake, Ninja)
#   deps:CMD    scripts/install-deps.sh runs CMD (npm fetches DuckDB)
#   cxx         the project is C++ (project(... CXX))
# When a package is installed through dpkg, the command of a run:/deps: reason must be shipped by
# that package or one of its direct dependencies (python3 -> python3-minimal ships /usr/bin/python3).
# Also checked: each CMake package the binary-only configuration requires (top level and src/) is
# some demo package's reason; the test-only packages are not in --demo; --build is within --demo,
# --demo within --test, and no argument means --test; `make demo` builds only the podpower target
# and installs with --demo; an unknown argument fails with one line.
# Usage: demo_packages_test.sh <repo root>
set -uo pipefail
ROOT=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
DEPS="$ROOT/scripts/install-deps.sh"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

declare -A WHY=(
  [cmake]="make:cmake"
  [ninja-build]="make:Ninja"
  [g++]="cxx cmake:OpenMP"
  [pkg-config]="cmake:PkgConfig"
  [libcurl4-openssl-dev]="cmake:CURL"
  [nlohmann-json3-dev]="cmake:nlohmann_json"
  [libyaml-cpp-dev]="cmake:yaml-cpp"
  [libcli11-dev]="cmake:CLI11"
  [libfmt-dev]="cmake:fmt"
  [libeigen3-dev]="cmake:Eigen3"
  [libopenblas-dev]="cmake:BLAS"
  [libssl-dev]="cmake:OpenSSL"
  [libcpp-httplib-dev]="cmake:cpp-httplib"
  [libicu-dev]="cmake:ICU"
  [npm]="deps:npm"
  [prometheus]="run:prometheus run:promtool"
  [python3]="run:python3"
  [curl]="run:curl"
)
# Needed by `make test` only; the issue names the first five.
TEST_ONLY=(python3-torch chromium etcd-server etcd-client golang-go libgtest-dev libgmock-dev
  libbenchmark-dev clang-format python3-sklearn python3-numpy wrk victoria-metrics)
# CMake packages every Debian system has (libc6 is essential).
BASE_CMAKE=(Threads)

demo=$("$DEPS" --list --demo) || { echo "FAIL: install-deps.sh --list --demo failed" >&2; exit 1; }
build=$("$DEPS" --list --build) || fail "install-deps.sh --list --build failed"
testl=$("$DEPS" --list --test) || fail "install-deps.sh --list --test failed"
default=$("$DEPS" --list) || fail "install-deps.sh --list failed"
[ -n "$demo" ] || fail "install-deps.sh --list --demo printed no package"
in_list() { grep -qxF -- "$1" <<<"$2"; }

# The demo's scripts: scripts/demo.sh and every repo script it names, transitively.
scripts=(scripts/demo.sh)
i=0
while [ "$i" -lt "${#scripts[@]}" ]; do
  f=${scripts[$i]}
  i=$((i + 1))
  [ -f "$ROOT/$f" ] || { fail "the demo calls $f, which does not exist"; continue; }
  for g in $(grep -v '^[[:space:]]*#' "$ROOT/$f" | grep -oE '(scripts|tests/e2e)/[A-Za-z0-9_.-]+\.sh' | sort -u); do
    case " ${scripts[*]} " in *" $g "*) ;; *) scripts+=("$g") ;; esac
  done
done
demo_code=$(cd "$ROOT" && cat "${scripts[@]}" | grep -v '^[[:space:]]*#')
# CMD at a command position: line start, after ; & | ( $( or a shell keyword, maybe as /usr/bin/CMD.
runs() {
  grep -qE "(^|[;&|(]|\\\$\\(|\\b(until|while|if|then|do|exec|!))[[:space:]]*(/usr/bin/)?$1([[:space:]]|\$)" <<<"$demo_code"
}

# CMake packages of the binary-only configuration: top-level lines outside the test/bench blocks,
# plus every src/ folder (all of it is in the binary's configuration).
binary_cmake=$( {
  awk '/^if\(PODPOWER_(TESTS|BENCH)\)/ { skip = 1 } !skip { print } skip && /^endif\(\)/ { skip = 0 }' \
    "$ROOT/CMakeLists.txt"
  cat "$ROOT"/src/*/CMakeLists.txt 2>/dev/null
} | grep -v '^[[:space:]]*#' | sed -nE \
  -e 's/.*find_package\(([A-Za-z0-9_.-]+).*/\1/p' \
  -e 's/.*pkg_check_modules\([A-Za-z0-9_]+ (REQUIRED |QUIET |IMPORTED_TARGET )*([A-Za-z0-9_.+-]+)\).*/\2/p' | sort -u)
[ -n "$binary_cmake" ] || fail "found no find_package in CMakeLists.txt (has its layout changed?)"

make_demo=$(make -s -C "$ROOT" -n demo 2>&1) || fail "make -n demo failed: $(head -1 <<<"$make_demo")"

# A command's file must come from the package or one of its direct dependencies (when installed).
ships() {
  local pkg=$1 cmd=$2 path owner deps
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || return 0
  # Debian's path first (the demo calls /usr/bin/python3, whatever python3 PATH finds first).
  path=/usr/bin/$cmd
  [ -x "$path" ] || path=$(command -v "$cmd") || { fail "$pkg is installed but $cmd is not on PATH"; return 0; }
  owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
  deps=$(dpkg-query -W -f='${Pre-Depends}, ${Depends}' "$pkg" | tr ',|' '\n\n' |
    sed -E 's/\(.*\)//; s/:any//; s/[[:space:]]//g')
  [ "$owner" = "$pkg" ] || in_list "$owner" "$deps" ||
    fail "$pkg: $path comes from '${owner:-no package}', not from $pkg or its dependencies"
}

for pkg in $demo; do
  reasons=${WHY[$pkg]:-}
  if [ -z "$reasons" ]; then
    fail "install-deps.sh --demo installs $pkg, which neither the demo runs nor the binary's build uses (or add its reason to $0)"
    continue
  fi
  for r in $reasons; do
    case "$r" in
      run:*) runs "${r#run:}" || fail "$pkg is installed for '${r#run:}', which the demo no longer runs (${scripts[*]})"
        ships "$pkg" "${r#run:}" ;;
      deps:*) grep -v '^[[:space:]]*#' "$DEPS" | grep -qE "(^|[[:space:](])${r#deps:} [[:alpha:]-]" ||
          fail "$pkg is installed for install-deps.sh's '${r#deps:}', which it no longer runs"
        ships "$pkg" "${r#deps:}" ;;
      cmake:*) in_list "${r#cmake:}" "$binary_cmake" ||
          fail "$pkg is installed for CMake's ${r#cmake:}, which the binary-only configuration does not use" ;;
      make:*) grep -qw -- "${r#make:}" <<<"$make_demo" ||
          fail "$pkg is installed for '${r#make:}', which make demo no longer uses" ;;
      cxx) grep -qE '^project\(.*\bCXX\b' "$ROOT/CMakeLists.txt" || fail "$pkg: the project is no longer C++" ;;
      *) fail "unknown reason '$r' for $pkg in $0" ;;
    esac
  done
done

# Each CMake package the binary needs is some demo package's reason (else `make demo` cannot build).
for name in $binary_cmake; do
  covered=0
  for pkg in $demo; do
    case " ${WHY[$pkg]:-} " in *" cmake:$name "*) covered=1 ;; esac
  done
  case " ${BASE_CMAKE[*]} " in *" $name "*) covered=1 ;; esac
  [ "$covered" = 1 ] || fail "the binary's configuration needs CMake package $name, which no --demo package provides"
done

for pkg in "${TEST_ONLY[@]}"; do
  in_list "$pkg" "$demo" && fail "install-deps.sh --demo installs $pkg, which only make test needs"
done
for pkg in $build; do in_list "$pkg" "$demo" || fail "--build installs $pkg but --demo does not"; done
for pkg in $demo; do in_list "$pkg" "$testl" || fail "--demo installs $pkg but --test does not"; done
[ "$default" = "$testl" ] || fail "install-deps.sh without a mode lists other packages than --test"

# `make demo` installs with --demo and builds the podpower target only.
grep -q 'install-deps.sh --demo' <<<"$make_demo" || fail "make demo does not run install-deps.sh --demo"
if grep 'install-deps.sh' <<<"$make_demo" | grep -qv -- '--demo'; then
  fail "make demo runs install-deps.sh in another mode than --demo"
fi
grep -q 'cmake --build' <<<"$make_demo" || fail "make demo builds nothing"
if grep 'cmake --build' <<<"$make_demo" | grep -qv -- '--target podpower'; then
  fail "make demo builds more than the podpower target"
fi

# An unknown argument fails with one line (after --list, so a broken parser installs nothing).
err=$("$DEPS" --list --bogus 2>&1 >/dev/null) && fail "install-deps.sh --bogus succeeded"
[ "$(wc -l <<<"$err")" = 1 ] || fail "install-deps.sh --bogus printed $(wc -l <<<"$err") lines, not one"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "ok: make demo installs $(wc -w <<<"$demo") packages, each built with or run by the demo ($(tr '\n' ' ' <<<"$demo"))"
