#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tensor and pipeline parallelism of sprout-train on this machine against
data parallelism: the final shape of plans/tiny-cpu.yaml trained by 2 Gloo
ranks of 1 thread each as DP2, TP2 and PP2 (1F1B over m = 8 micro-batches,
plain and interleaved with v = 2 chunks per rank),
and by 1 process of 1 thread, with the same global batch (64 sequences) and
micro-batch (8 sequences), in interleaved rounds. Prints tokens/s and, for
PP2, the pipeline bubble measured by the trainer next to the simulator's
predictions (`sprout compare`: replaying every measured op, and from the
stages' mean op times) and the analytic
(p - 1) / (v m).

usage: /usr/bin/python3 bench/backend/tp_pp_scaling.py [BUILD_DIR] [--steps N] [--rounds R] [--dtype fp32|bf16]"""
import json
import os
import statistics
import subprocess

import bench_common as bc

SHAPE = dict(layers=4, hidden=128, heads=8, ffn=512, vocab=256, seq=128, sequences=64)
MICRO_BATCH = 8

CONFIGS = [  # name, tp, pp, dp, interleave
    ("1 process x 1 thread", 1, 1, 1, 1),
    ("DP2 (2 processes x 1 thread)", 1, 1, 2, 1),
    ("TP2", 2, 1, 1, 1),
    ("PP2, 1F1B, m = 8", 1, 2, 1, 1),
    ("PP2, interleaved 1F1B, v = 2, m = 8", 1, 2, 1, 2),
]


def measure(args, name, tp, pp, dp, interleave):
    plan = bc.write_plan(bc.one_stage_plan(f"tp/pp benchmark ({name})", SHAPE, SHAPE["sequences"], MICRO_BATCH,
                                           args.steps, dp=dp, tp=tp, pp=pp, interleave=interleave))
    run = f"/tmp/sprout-tppp-{tp}-{pp}-{dp}-{interleave}"
    extra = ["--dtype", args.dtype, "--zero1", "off"]
    try:
        ranks = tp * pp * dp
        if ranks == 1:
            records = bc.train(args.build_dir, plan, run, args.data, 1, extra)
        else:
            records = bc.train_ranks(args.build_dir, plan, run, args.data, ranks, 1, extra)
        steps = [r for r in records if "event" not in r][args.warmup:]
        out = {"tokens_per_s": statistics.median(r["tokens_per_s"] for r in steps)}
        if pp > 1:
            compare = subprocess.run([os.path.join(args.build_dir, "cli", "sprout"), "compare", plan, run, "--format",
                                      "json"], check=True, capture_output=True, text=True)
            b = json.loads(compare.stdout)["pipeline_bubbles"][0]
            out.update(measured=b["measured_fraction"], simulated=b["simulated_fraction"],
                       replayed=b.get("replayed_fraction", float("nan")), analytic=b["analytic_fraction"])
        return out
    finally:
        os.unlink(plan)


def main():
    args = bc.arguments(steps=10)
    bc.ensure_data(args.build_dir, args.data)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    results = {name: [] for name, *_ in CONFIGS}
    for _ in range(args.rounds):  # interleaved: ratios within a round (shared machine)
        for name, *layout in CONFIGS:
            results[name].append(measure(args, name, *layout))
    s = SHAPE
    print(f"shape {s['layers']}x{s['hidden']} heads {s['heads']} seq {s['seq']}, global batch {s['sequences']} "
          f"sequences in micro-batches of {MICRO_BATCH}, {args.dtype}, 1 thread per process; median of each run's "
          f"steps, median of {args.rounds} rounds")
    print("| run | tokens/s | vs DP2 (per round, median) |")
    print("|---|---|---|")
    dp2 = results[CONFIGS[1][0]]
    for name, *_ in CONFIGS:
        rows = results[name]
        ratio = statistics.median(r["tokens_per_s"] / d["tokens_per_s"] for r, d in zip(rows, dp2))
        print(f"| {name} | {statistics.median(r['tokens_per_s'] for r in rows):.0f} | {ratio:.2f} |")
    for name, *_ in CONFIGS[3:]:
        rows = results[name]
        med = lambda k: statistics.median(r[k] for r in rows)
        print(f"{name} bubble (idle / own op time, mean over ranks): measured {med('measured'):.3f}, DAG "
              f"replaying every measured op {med('replayed'):.3f}, DAG from the mean op times "
              f"{med('simulated'):.3f}, analytic (p-1)/(v m) {med('analytic'):.3f}; per round measured " +
              ", ".join(f"{r['measured']:.3f}" for r in rows) + ", replayed " +
              ", ".join(f"{r['replayed']:.3f}" for r in rows))


if __name__ == "__main__":
    main()
