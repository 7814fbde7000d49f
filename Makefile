# podpower: the two commands are `make demo` and `make test`; both install what is missing first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
WERROR     ?= ON
CMAKE_FLAGS = -G Ninja -DPODPOWER_WERROR=$(WERROR) -DPython3_EXECUTABLE=/usr/bin/python3

.PHONY: all deps build test unit asan demo bench format format-check clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake -S . -B $(BUILD) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Everything: format check, all tests in the release build, then the unit tests under ASan+UBSan.
test: build format-check
	@tests/e2e/kube-up.sh build >/dev/null || echo "kube-apiserver could not be built: live collector tests will skip" >&2
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory asan

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DPODPOWER_SANITIZE=ON -DPODPOWER_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

demo: build
	@scripts/demo.sh $(BUILD)/src/cli/podpower

bench: build
	@scripts/bench.sh $(BUILD)

format:
	@git ls-files '*.cc' '*.h' | xargs -r clang-format -i

format-check:
	@git ls-files --cached --others --exclude-standard '*.cc' '*.h' | xargs -r clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
