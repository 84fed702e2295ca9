#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every test of BUILD_DIR through ctest (called by `make test`; further
# arguments go to ctest, e.g. -L labels). Qt tests render offscreen; ctest
# prints its summary line ("100% tests passed, 0 tests failed out of N") at
# the end.
set -euo pipefail
build_dir=${1:-build}
shift || true
export QT_QPA_PLATFORM=offscreen
jobs=$(nproc)
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "$jobs" "$@"
