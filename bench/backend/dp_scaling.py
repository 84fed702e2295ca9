#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Data-parallel scaling of sprout-train on this machine: the final shape of
plans/tiny-cpu.yaml trained by 1 process (1 and 2 threads) and by 2 Gloo
ranks of 1 thread each (ZeRO-1 off and on, small buckets, and each without
overlapping the gradient all-reduce with backward), with the same
global batch and micro-batch size, in interleaved rounds. Prints tokens/s,
tokens/s per process and the scaling efficiency 1 -> 2 processes, where a
step's time goes (forward/backward, gradient all-reduce, its exposed part,
optimizer), the speed-up overlap buys, and the
gradient all-reduce bandwidth next to Gloo's raw all-reduce of the same bytes
(bench/backend/gloo_allreduce.py).

usage: /usr/bin/python3 bench/backend/dp_scaling.py [BUILD_DIR] [--steps N] [--rounds R] [--dtype fp32|bf16]"""
import json
import os
import statistics
import subprocess

import bench_common as bc

SHAPE = dict(layers=4, hidden=128, heads=8, ffn=512, vocab=256, seq=128, micro_batch=16, sequences=64)


def parameter_count(s):
    """GELU GPT with biases, learned positions, tied embeddings (planner::parameter_count)."""
    h, f = s["hidden"], s["ffn"]
    block = 4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h
    return s["vocab"] * h + s["seq"] * h + s["layers"] * block + 2 * h


def plan_text(steps, dp, overlap=True):
    s = SHAPE
    text = bc.one_stage_plan("dp scaling benchmark (final shape of plans/tiny-cpu.yaml)", s, s["sequences"],
                             s["micro_batch"], steps, dp)
    # The stage's overlap_grad_reduce (default true) from the model defaults.
    return text if overlap else text.replace("activation: gelu}", "activation: gelu, overlap_grad_reduce: false}")


def measure(args, plans, plan, ranks, threads, extra):
    run = f"/tmp/sprout-dp-{ranks}x{threads}"
    extra = ["--dtype", args.dtype, *extra]
    if ranks == 1:
        records = bc.train(args.build_dir, plans[plan], run, args.data, threads, extra)
    else:
        records = bc.train_ranks(args.build_dir, plans[plan], run, args.data, ranks, threads, extra)
    steps = [r for r in records if "event" not in r][args.warmup:]
    med = lambda k: statistics.median(r.get(k, 0) for r in steps)
    return {"tokens_per_s": med("tokens_per_s"), "compute_s": med("compute_s"), "wait_s": med("wait_s"),
            "reduce_s": med("reduce_s"), "exposed_comm_s": med("exposed_comm_s"), "optimizer_s": med("optimizer_s")}


CONFIGS = [  # name, plan (dp, overlap), processes, threads each, extra options
    ("1 process x 1 thread", (1, True), 1, 1, []),
    ("1 process x 2 threads", (1, True), 1, 2, []),
    ("2 processes x 1 thread (DP2)", (2, True), 2, 1, ["--zero1", "off"]),
    ("2 processes x 1 thread (DP2, ZeRO-1)", (2, True), 2, 1, ["--zero1", "on"]),
    ("2 processes x 1 thread (DP2, 0.25 MiB buckets)", (2, True), 2, 1, ["--zero1", "off", "--bucket-mb", "0.25"]),
    ("2 processes x 1 thread (DP2, no overlap)", (2, False), 2, 1, ["--zero1", "off"]),
    ("2 processes x 1 thread (DP2, ZeRO-1, no overlap)", (2, False), 2, 1, ["--zero1", "on"]),
    ("2 processes x 1 thread (DP2, 0.25 MiB buckets, no overlap)", (2, False), 2, 1,
     ["--zero1", "off", "--bucket-mb", "0.25"]),
]


def main():
    args = bc.arguments(steps=12)
    bc.ensure_data(args.build_dir, args.data)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    plans = {key: bc.write_plan(plan_text(args.steps, *key)) for key in {c[1] for c in CONFIGS}}
    results = {name: [] for name, *_ in CONFIGS}
    efficiency, speedups = [], []
    try:
        # Interleaved rounds; ratios are taken within a round (shared machine).
        for _ in range(args.rounds):
            row = {name: measure(args, plans, plan, n, t, extra) for name, plan, n, t, extra in CONFIGS}
            for name in row:
                results[name].append(row[name])
            efficiency.append(row[CONFIGS[2][0]]["tokens_per_s"] / 2 / row[CONFIGS[0][0]]["tokens_per_s"])
            # Overlap's DP2 speed-up, each with/without pair within the round.
            speedups.append([row[CONFIGS[i][0]]["tokens_per_s"] / row[CONFIGS[i + 3][0]]["tokens_per_s"]
                             for i in (2, 3, 4)])
    finally:
        for path in plans.values():
            os.unlink(path)
    params = parameter_count(SHAPE)
    raw = json.loads(subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "gloo_allreduce.py"),
                                     "--elements", str(params)], check=True, capture_output=True, text=True).stdout)
    s = SHAPE
    print(f"shape {s['layers']}x{s['hidden']} heads {s['heads']} seq {s['seq']}, global batch {s['sequences']} "
          f"sequences (micro-batch {s['micro_batch']}), {args.dtype}, {params} parameters; median of each run's "
          f"steps, median of {args.rounds} rounds")
    print("| run | tokens/s | tokens/s per process | forward+backward s | wait for slowest rank s | "
          "all-reduce s | exposed comm s | optimizer s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, n, _, _ in CONFIGS:
        m = {k: statistics.median(r[k] for r in results[name]) for k in results[name][0]}
        print(f"| {name} | {m['tokens_per_s']:.0f} | {m['tokens_per_s'] / n:.0f} | {m['compute_s']:.3f} | "
              f"{m['wait_s']:.4f} | {m['reduce_s']:.4f} | {m['exposed_comm_s']:.4f} | {m['optimizer_s']:.4f} |")
    for i, what in enumerate(("DP2", "DP2 ZeRO-1", "DP2 0.25 MiB buckets")):
        per_round = [r[i] for r in speedups]
        print(f"overlap speed-up {what} (tokens/s with / without) per round: " +
              ", ".join(f"{x:.3f}" for x in per_round) + f"; median {statistics.median(per_round):.3f}")
    print("DP scaling efficiency 1 -> 2 processes (tokens/s per process, DP2 / 1x1) per round: " +
          ", ".join(f"{e:.2f}" for e in efficiency) + f"; median {statistics.median(efficiency):.2f}")
    dp2 = statistics.median(r["reduce_s"] for r in results[CONFIGS[2][0]])
    grad_bytes = 4 * params
    print(f"gradient all-reduce ({grad_bytes / 1e6:.2f} MB, one bucket): {dp2 * 1e3:.2f} ms = "
          f"{grad_bytes / dp2 / 1e9:.2f} GB/s; raw Gloo all-reduce of the same bytes: "
          f"{raw['median_seconds'] * 1e3:.2f} ms = {grad_bytes / raw['median_seconds'] / 1e9:.2f} GB/s "
          f"(ratio {raw['median_seconds'] / dp2:.2f})")


if __name__ == "__main__":
    main()
