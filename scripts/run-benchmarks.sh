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
# The growth trainer: throughput vs an equivalent PyTorch loop, and growth
# vs training the final shape from scratch (docs/backend.md).
if [ -x "$build_dir/backend/sprout-train" ]; then
  echo "== backend: sprout-train vs PyTorch (bench/backend/speed_vs_pytorch.py) =="
  /usr/bin/python3 bench/backend/speed_vs_pytorch.py "$build_dir"
  echo "== backend: growth vs from scratch (bench/backend/growth_vs_scratch.py) =="
  /usr/bin/python3 bench/backend/growth_vs_scratch.py "$build_dir"
  echo "== backend: data-parallel scaling, 1 vs 2 processes (bench/backend/dp_scaling.py) =="
  /usr/bin/python3 bench/backend/dp_scaling.py "$build_dir"
  echo "== backend: TP2 and PP2 vs DP2, pipeline bubble vs the simulator (bench/backend/tp_pp_scaling.py) =="
  /usr/bin/python3 bench/backend/tp_pp_scaling.py "$build_dir"
fi
