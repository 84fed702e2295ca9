#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every benchmark binary under build/bench (called by `make bench`).
set -euo pipefail
build_dir=${1:-build}
for b in "$build_dir"/bench/*_benchmark; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b") =="
  "$b" --benchmark_counters_tabular=true
done
