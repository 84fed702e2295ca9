#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job on the embedded default (called by `make demo`): plan the shipped
# FLM-101B growth schedule against its from-scratch baseline.
set -euo pipefail
build_dir=${1:-build}
sprout="$build_dir/cli/sprout"
echo "== sprout plan plans/flm-101b.yaml (FLM-101B: 16B -> 51B -> 101B on 192 A800s) =="
"$sprout" plan plans/flm-101b.yaml
echo
echo "== sprout simulate plans/flm-101b.yaml (10,000 trials: failures, checkpoints, evaluations) =="
"$sprout" simulate plans/flm-101b.yaml --trials 10000
