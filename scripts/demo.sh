#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job on the embedded default (called by `make demo`): plan the shipped
# FLM-101B growth schedule against its from-scratch baseline, simulate its
# risks, then train the tiny growth schedule on this machine.
set -euo pipefail
build_dir=${1:-build}
sprout="$build_dir/cli/sprout"
echo "== sprout plan plans/flm-101b.yaml (FLM-101B: 16B -> 51B -> 101B on 192 A800s) =="
"$sprout" plan plans/flm-101b.yaml
echo
echo "== sprout simulate plans/flm-101b.yaml (10,000 trials: failures, checkpoints, evaluations) =="
"$sprout" simulate plans/flm-101b.yaml --trials 10000

# The growth trainer (when built with LibTorch): prepare the default corpus
# (Debian's fortunes, byte-level tokens) and train plans/tiny-cpu.yaml end to
# end, growing 2x64 -> 2x128 -> 4x128; then check the losses.
train="$build_dir/backend/sprout-train"
if [ ! -x "$train" ]; then
  echo "== sprout-train not built (LibTorch not found): skipping the training demo =="
  exit 0
fi
data="$build_dir/demo-data"
run="$build_dir/demo-run"
echo "== sprout-train prepare: the default corpus (Debian package fortunes) -> $data =="
[ -f "$data/train.bin" ] || "$train" prepare --out "$data"
echo "== sprout-train plans/tiny-cpu.yaml -> $run (progress on stderr) =="
rm -rf "$run"
start=$(date +%s)
"$train" --plan plans/tiny-cpu.yaml --data "$data" --out "$run"
echo "trained in $(( $(date +%s) - start )) s"
/usr/bin/python3 scripts/check-demo-run.py "$run"
