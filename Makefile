# SPDX-License-Identifier: GPL-3.0-or-later
# Thin wrapper: every target installs what it needs first (scripts/install-deps.sh
# is idempotent), then configures and builds with CMake + Ninja (+ ccache).
#   make demo   plan FLM-101B vs from scratch, then train the tiny CPU schedule
#               (builds only what the demo runs: sprout and sprout-train)
#   make test   build and run every test through ctest
#   make bench  build and run the benchmarks
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test bench clean

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

clean:
	rm -rf $(BUILD_DIR)
