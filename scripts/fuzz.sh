#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs libFuzzer targets of a fuzz build (tests/fuzz/, `make fuzz`), each for
# SECONDS, one after the other, and prints one line per target:
#   fuzz_plan: 123456 executions in 600 s, corpus 812 inputs, 0 crashes
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]   (default: every target)
# Seeds: tests/fuzz/corpus/<target>/ (read only); what a run finds grows
# BUILD_DIR/fuzz-corpus/<target>/; crashes go to BUILD_DIR/fuzz-crashes/<target>/
# and fail the script (exit 1). Run from the source tree: targets read
# plans/ and profiles/ as the CLI does.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
seconds=$2
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build_dir"/tests/fuzz/fuzz_*; do targets+=("$(basename "$exe" | sed 's/^fuzz_//')"); done
fi
# Leaks in a parser are bugs too; a report must name the code (symbolizer).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
  exe="$build_dir/tests/fuzz/fuzz_$t"
  corpus="$build_dir/fuzz-corpus/$t"
  crashes="$build_dir/fuzz-crashes/$t"
  mkdir -p "$corpus" "$crashes"
  log="$build_dir/fuzz-logs/$t.log"
  mkdir -p "$(dirname "$log")"
  seeds="tests/fuzz/corpus/$t"
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: a parser must not
  # need 2 GB for a small file.
  set +e
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || echo "?")
  inputs=$(find "$corpus" -type f | wc -l)
  found=$(find "$crashes" -type f | wc -l)
  echo "fuzz_$t: $runs executions in $seconds s, corpus $inputs inputs, $found crashes"
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    echo "fuzz_$t: FAILED (exit $rc); log: $log" >&2
    grep -m5 -A20 'ERROR\|escaped\|runtime error' "$log" >&2 || tail -30 "$log" >&2
  fi
done
exit $failed
