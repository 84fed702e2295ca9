# SPDX-License-Identifier: GPL-3.0-or-later
# Thin wrapper: every target installs what it needs first (scripts/install-deps.sh
# is idempotent), then configures and builds with CMake + Ninja (+ ccache).
#   make demo   plan FLM-101B vs from scratch, then train the tiny CPU schedule
#               (builds only what the demo runs: sprout and sprout-train)
#   make test   build and run every test through ctest
#   make bench  build and run the benchmarks
#   make fuzz   build the libFuzzer targets (clang, build-fuzz/) and run each
#               FUZZ_SECONDS (default 30) from its seed corpus (docs/reliability.md)
#   make test-sanitize  the whole suite under ASan + UBSan (build-sanitize/)
#   make test-sanitize-core  its planner, simulator and CLI part (build-sanitize-core/)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
SANITIZE_BUILD_DIR ?= build-sanitize
# -O1 (what the ASan documentation recommends for readable reports at a
# fair speed) with line tables only (-g1): compiles faster than
# RelWithDebInfo (-O2 -g), and stack traces keep file:line.
# Warnings stay warnings there: GCC 12's flow analysis under -fsanitize
# reports -Wmaybe-uninitialized inside libstdc++ (<regex>'s std::function),
# a false positive in the standard library; the normal build keeps -Werror.
SANITIZE_CMAKE = -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DSPROUT_SANITIZE=ON -DSPROUT_BENCH=OFF \
  -DSPROUT_WERROR=OFF
# Sanitizer settings of test-sanitize and fuzz (scripts/sanitizer/*.supp say why each entry is there).
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizer/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/scripts/sanitizer/ubsan.supp

.PHONY: all deps configure build demo test bench clean fuzz fuzz-build test-sanitize test-sanitize-core

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR)

# sprout-train is a target only when LibTorch was found (demo.sh skips training then).
demo: configure
	@cmake --build $(BUILD_DIR) --target sprout $$(cmake --build $(BUILD_DIR) --target help | grep -q '^sprout-train:' && echo sprout-train)
	@scripts/demo.sh $(BUILD_DIR)

test: build
	@scripts/run-tests.sh $(BUILD_DIR)

bench: build
	@scripts/run-benchmarks.sh $(BUILD_DIR)

# Only the planner, simulator and their parsers: no backend, GUI, tests or
# benchmarks (LibTorch and Qt are not instrumented; their parsers' targets
# are listed as left to do in docs/reliability.md).
fuzz-build:
	@scripts/install-deps.sh --fuzz
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSPROUT_FUZZ=ON -DSPROUT_BACKEND=OFF -DSPROUT_GUI=OFF -DSPROUT_TESTS=OFF -DSPROUT_BENCH=OFF \
	  -DSPROUT_WERROR=OFF -DSPROUT_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) --target fuzz_targets

fuzz: fuzz-build
	@$(SANITIZER_ENV) scripts/fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# The whole ctest suite built with -fsanitize=address,undefined (the compiler
# of the normal build);
# see docs/reliability.md "Sanitizers" for what runs and how long it takes.
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD_DIR) -G Ninja $(SANITIZE_CMAKE) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SANITIZE_BUILD_DIR)
	@$(SANITIZER_ENV) scripts/run-tests.sh $(SANITIZE_BUILD_DIR)

# The CI-sized part: planner, simulator and CLI (no LibTorch, no Qt) under
# ASan + UBSan, their ctest labels only.
test-sanitize-core: deps
	@cmake -S . -B $(SANITIZE_BUILD_DIR)-core -G Ninja $(SANITIZE_CMAKE) -DSPROUT_BACKEND=OFF -DSPROUT_GUI=OFF \
	  $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SANITIZE_BUILD_DIR)-core
	@cd $(SANITIZE_BUILD_DIR)-core && $(SANITIZER_ENV) ctest --output-on-failure --timeout 900 -j $$(nproc) \
	  -L 'planner|simulator|integration' -LE slurm

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(SANITIZE_BUILD_DIR) $(SANITIZE_BUILD_DIR)-core
