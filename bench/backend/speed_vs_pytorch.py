#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""sprout-train's training throughput against an equivalent PyTorch loop
(bench/backend/pytorch_reference.py, Debian's python3-torch: the same
libtorch) on the same model shape, batch, data and thread count, measured in
one run on the same machine. Also measures sprout-train with bf16 autocast.
Prints a table and the ratio (target >= 1.5).

usage: /usr/bin/python3 bench/backend/speed_vs_pytorch.py [BUILD_DIR] [--threads N]"""
import argparse
import os
import statistics
import subprocess

import bench_common as bc

SHAPE = dict(layers=4, hidden=128, heads=8, ffn=512, vocab=256, seq=128, micro_batch=32, accumulation=2)


def plan_text(steps):
    s = SHAPE
    return bc.one_stage_plan("speed benchmark (final shape of plans/tiny-cpu.yaml)", s,
                             s["micro_batch"] * s["accumulation"], s["micro_batch"], steps)


def sprout_tokens_per_s(args, plan, dtype):
    records = bc.train(args.build_dir, plan, f"/tmp/sprout-speed-{dtype}", args.data, args.threads,
                       ["--dtype", dtype])
    steps = [r["tokens_per_s"] for r in records if "event" not in r][args.warmup:]
    return statistics.median(steps)


# glibc settings equal to what sprout-train sets for itself with mallopt
# (backend/tools/sprout_train_main.cc), for the "tuned" PyTorch row.
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def pytorch_tokens_per_s(args, extra_env=None):
    s = SHAPE
    cmd = ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "pytorch_reference.py"),
           "--shard", os.path.join(args.data, "train.bin"), "--threads", str(args.threads),
           "--steps", str(args.steps - args.warmup), "--warmup-steps", str(args.warmup)]
    for k, v in s.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", **(extra_env or {})}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    import json
    return statistics.median(
        SHAPE["micro_batch"] * SHAPE["accumulation"] * SHAPE["seq"] / t for t in json.loads(out)["step_seconds"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build_dir", nargs="?", default="build")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", default="/tmp/sprout-bench-data")
    args = p.parse_args()
    bc.ensure_data(args.build_dir, args.data)
    # Each side with its faster OpenMP wait policy here: sprout-train with
    # libgomp's default (it sets PASSIVE itself only when ranks share the
    # node, process_setup.h); the PyTorch peer with PASSIVE, without which
    # its OpenBLAS GEMM threads and LibTorch's spinning OpenMP workers fight
    # over the cores (measured: 6.6k tokens/s against 11.4k with PASSIVE).
    os.environ.pop("OMP_WAIT_POLICY", None)
    plan = bc.write_plan(plan_text(args.steps))
    try:
        rows = []
        ratios, tuned_ratios = [], []
        # Interleave, and compare within a round, so a change in machine load
        # (the CI machine is shared) hits both sides alike.
        for _ in range(args.rounds):
            ours = sprout_tokens_per_s(args, plan, "fp32")
            theirs = pytorch_tokens_per_s(args)
            tuned = pytorch_tokens_per_s(args, TUNED_MALLOC)
            rows += [("sprout-train fp32", ours), ("pytorch fp32", theirs), ("pytorch fp32, malloc tuned as sprout-train", tuned)]
            ratios.append(ours / theirs)
            tuned_ratios.append(ours / tuned)
        rows.append(("sprout-train bf16 autocast", sprout_tokens_per_s(args, plan, "bf16")))
    finally:
        os.unlink(plan)
    best = {}
    for name, v in rows:
        best[name] = max(best.get(name, 0), v)
    s = SHAPE
    print(f"shape {s['layers']}x{s['hidden']} heads {s['heads']} seq {s['seq']} batch "
          f"{s['micro_batch']}x{s['accumulation']} threads {args.threads} (median tokens/s of a run, best run)")
    print("| loop | tokens/s |\n|---|---|")
    for name, v in best.items():
        print(f"| {name} | {v:.0f} |")
    print("sprout-train / PyTorch per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"sprout-train / PyTorch: {statistics.median(ratios):.2f}x median of rounds (target >= 1.5)")
    print(f"sprout-train / PyTorch with the same malloc settings: {statistics.median(tuned_ratios):.2f}x")
    print(f"bf16 autocast / fp32: {best['sprout-train bf16 autocast'] / best['sprout-train fp32']:.2f}x")


if __name__ == "__main__":
    main()
