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
seed_costs=$(cd "$(dirname "$0")/.." && pwd)/tests/ctest-costs.txt
cd "$build_dir"
# ctest starts the tests it knows to be long first (its cost data, written
# after each run). A fresh build tree has none, and the longest tests would
# start last and run alone at the end: seed it with the durations measured
# here (tests/ctest-costs.txt: the tests over 5 s; regenerate with
# scripts/update-test-costs.sh after a full run).
costs=Testing/Temporary/CTestCostData.txt
if [ ! -f "$costs" ] && [ -f "$seed_costs" ]; then
  mkdir -p Testing/Temporary
  { cat "$seed_costs"; echo "---"; } > "$costs"
fi
ctest --output-on-failure --timeout 900 -j "$jobs" "$@"
