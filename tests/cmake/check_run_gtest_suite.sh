#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/run-gtest-suite.sh against stand-in test binaries that print what
# GoogleTest prints: a suite is "skipped" (77) only when every test skipped
# and none failed; a failure keeps its exit code even beside a skip.
set -uo pipefail
runner=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fake() {  # fake NAME EXIT_CODE LINE... : a binary printing the lines
  local name=$1 code=$2
  shift 2
  { echo '#!/usr/bin/env bash'; for line in "$@"; do printf 'echo %q\n' "$line"; done; echo "exit $code"; } >"$tmp/$name"
  chmod +x "$tmp/$name"
}
fake all_skipped 0 '[  PASSED  ] 0 tests.' '[  SKIPPED ] 2 tests, listed below:'
fake one_skipped_one_failed 1 '[  PASSED  ] 0 tests.' '[  SKIPPED ] 1 test, listed below:' '[  FAILED  ] 1 test, listed below:'
fake one_skipped_one_passed 0 '[  PASSED  ] 1 test.' '[  SKIPPED ] 1 test, listed below:'
fake passed 0 '[  PASSED  ] 3 tests.'
fake crashed 134 '[ RUN      ] Suite.Test'
failures=0
expect() {  # expect NAME EXIT_CODE
  "$runner" "$tmp/$1" Suite >/dev/null 2>&1
  local got=$?
  if [ "$got" != "$2" ]; then
    echo "run-gtest-suite: $1 exited $got, expected $2"
    failures=$((failures + 1))
  fi
}
expect all_skipped 77
expect one_skipped_one_failed 1
expect one_skipped_one_passed 0
expect passed 0
expect crashed 134
[ "$failures" = 0 ] && echo "run-gtest-suite: 5 cases as expected"
[ "$failures" = 0 ]
