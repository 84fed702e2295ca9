#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Writes tests/ctest-costs.txt from BUILD_DIR's last full ctest run
# (Testing/Temporary/LastTest.log, after `make test` or scripts/run-tests.sh):
# the tests that took over 5 s, longest first, as "name runs seconds" lines,
# which scripts/run-tests.sh seeds a fresh build tree's cost data with so that
# ctest starts them first. (ctest's own cost data averages over every run the
# tree has seen.)
set -euo pipefail
build_dir=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
log=$build_dir/Testing/Temporary/LastTest.log
[ -f "$log" ] || { echo "update-test-costs: no $log (run the tests first)" >&2; exit 1; }
tmp=$(mktemp "$root/tests/ctest-costs.txt.XXXXXX")
awk '/^[0-9]+\/[0-9]+ Test: / { name = $3 }
     /^Test time = / && name != "" { if ($4 > 5) printf "%s 1 %.1f\n", name, $4; name = "" }' "$log" |
  sort -k3 -g -r > "$tmp"
sync "$tmp"
mv "$tmp" "$root/tests/ctest-costs.txt"
echo "update-test-costs: $(wc -l < "$root/tests/ctest-costs.txt") tests over 5 s -> tests/ctest-costs.txt"
