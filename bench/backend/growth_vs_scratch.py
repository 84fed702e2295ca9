#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does growth pay off at small scale? Trains plans/tiny-cpu.yaml (2x64 ->
width 2x128 -> depth 4x128, MSG growth) and its final shape 4x128 from
scratch on the same data and the same number of tokens, then reports the
model FLOPs (planner::model_flops_per_token, as telemetry records them) and
wall time each needed to first reach the same validation loss: the higher of
the two final validation losses, so both reach it. Prints a Markdown table
(docs/backend.md "Growth vs from scratch").

usage: /usr/bin/python3 bench/backend/growth_vs_scratch.py [BUILD_DIR] [--threads N]"""
import argparse
import datetime
import json
import os
import re

import bench_common as bc


def scratch_plan(growth_text):
    """The growth plan's last stage shape, trained alone on all its tokens."""
    tokens = sum(float(t) for t in re.findall(r"^    tokens: (\S+)", growth_text, re.M))
    head = growth_text.split("stages:")[0]
    return head + f"""stages:
  - name: scratch
    layers: 4
    hidden: 128
    heads: 8
    tokens: {tokens}
    global_batch_tokens: 4096
    lr: 2.0e-3
    warmup_fraction: 0.05
    parallel: {{tp: 1, pp: 1, dp: 1, micro_batch: 32}}
"""


def curve(records):
    """(val_loss, cumulative model FLOPs, seconds since start) at every eval."""
    t0 = datetime.datetime.fromisoformat(records[0]["time"].replace("Z", "+00:00"))
    out = []
    for r in records:
        if r.get("event") == "eval":
            t = datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
            out.append((r["val_loss"], r["model_flops"], (t - t0).total_seconds()))
    return out


def first_reaching(points, target):
    for loss, flops, seconds in points:
        if loss <= target + 1e-12:
            return flops, seconds
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build_dir", nargs="?", default="build")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--data", default="/tmp/sprout-bench-data")
    p.add_argument("--eval-every", type=int, default=10)
    p.add_argument("--growth-run", help="reuse a finished run of plans/tiny-cpu.yaml (e.g. make demo's) for the growth side")
    args = p.parse_args()
    bc.ensure_data(args.build_dir, args.data)
    with open(os.path.join(bc.ROOT, "plans", "tiny-cpu.yaml")) as f:
        growth_text = re.sub(r"eval_every_steps: \d+", f"eval_every_steps: {args.eval_every}", f.read())
    plans = {"growth (tiny-cpu.yaml)": bc.write_plan(growth_text), "from scratch (4x128)": bc.write_plan(scratch_plan(growth_text))}
    curves = {}
    try:
        for i, (name, plan) in enumerate(plans.items()):
            if i == 0 and args.growth_run:
                with open(os.path.join(args.growth_run, "telemetry.jsonl")) as f:
                    curves[name] = curve([json.loads(line) for line in f])
                continue
            curves[name] = curve(bc.train(args.build_dir, plan, f"/tmp/sprout-growth-vs-scratch-{i}", args.data, args.threads))
    finally:
        for plan in plans.values():
            os.unlink(plan)
    target = max(c[-1][0] for c in curves.values())
    print(f"target validation loss: {target:.4f} nats (the higher final loss of the two runs)")
    print("| run | final val loss | FLOPs to target | wall s to target | total FLOPs | total wall s |")
    print("|---|---|---|---|---|---|")
    reached = {}
    for name, c in curves.items():
        r = first_reaching(c, target)
        reached[name] = r
        print(f"| {name} | {c[-1][0]:.4f} | {r[0]:.3e} | {r[1]:.0f} | {c[-1][1]:.3e} | {c[-1][2]:.0f} |")
    g, s = reached["growth (tiny-cpu.yaml)"], reached["from scratch (4x128)"]
    print(f"growth needs {g[0] / s[0]:.2f}x the FLOPs and {g[1] / s[1]:.2f}x the wall time of training from scratch "
          f"to reach {target:.4f}")


if __name__ == "__main__":
    main()
