#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one GoogleTest suite of a test binary as one ctest test
# (tests/cmake/list_gtest_suites.cmake):
#   scripts/run-gtest-suite.sh TEST_BINARY SUITE [GTEST_ARGS...]
# Exits as the binary does, except 77 (ctest's SKIP_RETURN_CODE) when every
# test of the suite was skipped (GTEST_SKIP, e.g. no GPU) and none failed:
# ctest's SKIP_REGULAR_EXPRESSION would also turn a suite with one skipped
# and one failed test into "skipped".
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 TEST_BINARY SUITE [GTEST_ARGS...]" >&2
  exit 2
fi
binary=$1 suite=$2
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$binary" --gtest_filter="$suite.*" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" = 0 ] && grep -q '^\[  PASSED  \] 0 tests\.' "$log" && grep -q '^\[  SKIPPED \] ' "$log"; then
  exit 77
fi
exit "$status"
