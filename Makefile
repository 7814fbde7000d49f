# podpower: the two commands are `make demo` and `make test`; each installs what it needs first.
#   make demo   scripts/install-deps.sh --demo, then builds the podpower binary only and runs the demo
#   make test   scripts/install-deps.sh --test --image (buildah, mmdebstrap for the image test), builds everything (tests, benchmarks), runs every test
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
WERROR     ?= ON
CMAKE_FLAGS = -G Ninja -DPODPOWER_WERROR=$(WERROR)
PREFIX     ?= /usr/local

.PHONY: all deps build test unit asan demo demo-build install bench fuzz format format-check clean

all: build

deps:
	@scripts/install-deps.sh --test --image

# Everything, tests and benchmarks included. Switches a folder first configured by `make demo`
# (tests off) to tests on; the binary's objects are reused, only tests and benchmarks compile.
build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release -DPODPOWER_TESTS=ON \
	  -DPODPOWER_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Everything: format check, all tests in the release build, then the unit tests and the kill tests
# (CliTest.CrashConsistency) under ASan+UBSan.
test: build format-check
	@tests/e2e/kube-up.sh build >/dev/null || echo "kube-apiserver could not be built: live collector tests will skip" >&2
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory asan

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DPODPOWER_SANITIZE=ON \
	  -DPODPOWER_TESTS=ON -DPODPOWER_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L 'unit|asan'

# The podpower binary only. A fresh folder is configured without tests and benchmarks (no
# GoogleTest or Google Benchmark needed); a folder `make test` configured keeps its settings, and
# only the binary's out-of-date parts are rebuilt.
demo-build:
	@scripts/install-deps.sh --demo
	@[ -f $(BUILD)/build.ninja ] || cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release \
	  -DPODPOWER_TESTS=OFF -DPODPOWER_BENCH=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target podpower

demo: demo-build
	@scripts/demo.sh $(BUILD)/src/cli/podpower

# The binary (built as for the demo when needed), kubectl-podpower (symlink: the kubectl plugin), DuckDB's
# library in lib/podpower and the man page, under $(DESTDIR)$(PREFIX).
install: demo-build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

bench: build
	@scripts/bench.sh $(BUILD)

# libFuzzer targets (clang, ASan+UBSan, build-fuzz/) for FUZZ_SECONDS each; what they find goes to
# fuzz/regression/, which `make test` replays.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --build --fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs -r clang-format -i

format-check:
	@git ls-files --cached --others --exclude-standard '*.cc' '*.h' | xargs -r clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
