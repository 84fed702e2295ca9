# SPDX-License-Identifier: GPL-3.0-or-later
# Thin wrapper: every target installs what it needs first (scripts/install-deps.sh
# is idempotent), then configures and builds with CMake + Ninja (+ ccache).
#   make demo   plan FLM-101B vs from scratch, then train the tiny CPU schedule
#               (builds only what the demo runs: sprout and sprout-train)
#   make test   build and run every test through ctest, and the hardened part:
#               the planner, simulator and CLI tests under ASan + UBSan and each
#               fuzz target FUZZ_SECONDS (one clang build, build-hardened/)
#   make bench  build and run the benchmarks
#   make fuzz   build the libFuzzer targets (clang, build-fuzz/) and run each
#               FUZZ_SECONDS (default 30) from its seed corpus (docs/reliability.md)
#   make test-sanitize  the whole suite under ASan + UBSan (build-sanitize/)
#   make test-hardened  the hardened part of `make test` alone
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
SANITIZE_BUILD_DIR ?= build-sanitize
HARDENED_BUILD_DIR ?= build-hardened
# -O1 (what the ASan documentation recommends for readable reports at a
# fair speed) with line tables only (-g1): compiles faster than
# RelWithDebInfo (-O2 -g), and stack traces keep file:line.
# Warnings stay warnings there: GCC 12's flow analysis under -fsanitize
# reports -Wmaybe-uninitialized inside libstdc++ (<regex>'s std::function),
# a false positive in the standard library; the normal build keeps -Werror.
SANITIZE_COMMON = -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DSPROUT_BENCH=OFF -DSPROUT_WERROR=OFF
SANITIZE_CMAKE = $(SANITIZE_COMMON) -DSPROUT_SANITIZE=ON
# Sanitizer settings of test-sanitize and fuzz (scripts/sanitizer/*.supp say why each entry is there).
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizer/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/scripts/sanitizer/ubsan.supp

.PHONY: all deps configure build demo test bench clean fuzz fuzz-build test-sanitize hardened-build run-hardened test-hardened

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

# Both parts run even when one fails; the normal suite's ctest summary comes last.
test: build hardened-build
	@status=0; $(MAKE) --no-print-directory run-hardened || status=1; \
	  scripts/run-tests.sh $(BUILD_DIR) || status=1; exit $$status

bench: build
	@scripts/run-benchmarks.sh $(BUILD_DIR)

# Only the planner, simulator and the parsers' targets: no backend, GUI, tests
# or benchmarks (LibTorch and Qt are not instrumented; the tensor archive's
# target links LibTorch as it is, docs/reliability.md "Fuzzing").
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

# The hardened part of `make test` (docs/reliability.md "What CI runs"): the
# planner, simulator and CLI (no LibTorch, no Qt: neither is instrumented)
# built once with clang, -fsanitize=fuzzer-no-link,address,undefined; their
# tests (ctest labels planner, simulator, integration) run under the
# sanitizers, and every libFuzzer target runs FUZZ_SECONDS from its seeds
# (label fuzz). -O1 -g1 as the sanitizer build.
hardened-build:
	@scripts/install-deps.sh --fuzz
	@CC=clang CXX=clang++ cmake -S . -B $(HARDENED_BUILD_DIR) -G Ninja $(SANITIZE_COMMON) -DSPROUT_FUZZ=ON \
	  -DSPROUT_BACKEND=OFF -DSPROUT_GUI=OFF -DSPROUT_UNITY_BUILD=ON -DSPROUT_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(HARDENED_BUILD_DIR)

run-hardened:
	@$(SANITIZER_ENV) scripts/run-tests.sh $(HARDENED_BUILD_DIR) -L 'planner|simulator|integration|fuzz' -LE slurm

test-hardened: hardened-build run-hardened

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(SANITIZE_BUILD_DIR) $(HARDENED_BUILD_DIR)
