#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Predicted vs actual across plan kinds on this machine.

Profiles the machine, trains every plan of plans/cpu-matrix/ with
sprout-train (--rounds times, round after round, each round starting at
another plan), compares each run with its
plan under that one profile (uncalibrated) and prints the wall-time error of
every stage, the median over the rounds, as a Markdown table
(docs/compare.md "Across plan kinds" is this output).

    scripts/cpu-prediction-matrix.py [--build build] [--work DIR]
        [--profile PROFILE.yaml] [--plans plans/cpu-matrix/a.yaml ...]
        [--rounds 3] [--markdown OUT.md]

Run it on a quiet machine: the profile and the runs are timings. On a shared
one whose speed drifts by a fifth or more from one minute to the next, one
run of a plan, and one profile, is one sample of that drift: the rounds give
each stage its median, and the profile is the median of a `sprout profile
--quick` taken before each round (`sprout profile --merge`: every measured
number, key by key). The
table also pairs each run with the profile taken just before its round
(the median of those errors over the rounds): the drift from one round to
the next then leaves the comparison.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from statistics import median


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, quiet=False):
    """Runs cmd; exits with its output on failure. Quiet keeps its warnings."""
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    shown = [line for line in result.stderr.splitlines() if not quiet or "warning:" in line]
    if shown:
        print("\n".join(shown), file=sys.stderr)
    return result.stdout


def wall(entry):
    return entry["metrics"]["wall_seconds"]


def write_atomically(path, text):
    with open(path + ".tmp", "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(path + ".tmp", path)


def profile_machine(sprout, work, rounds_done):
    """One more quick profile; the median of all so far (`sprout profile
    --merge`) as the machine's."""
    one = os.path.join(work, f"profile-{rounds_done + 1}.yaml")
    print(f"profiling this machine -> {one}", file=sys.stderr, flush=True)
    run([sprout, "profile", "--quick", "--dtype", "bf16,fp32", "--out", one], quiet=True)
    merged = os.path.join(work, "this-machine.yaml")
    so_far = [os.path.join(work, f"profile-{r + 1}.yaml") for r in range(rounds_done + 1)]
    if len(so_far) == 1:
        with open(one) as f:
            write_atomically(merged, f.read())
    else:
        run([sprout, "profile", "--merge", *so_far, "--out", merged, "--name", "this-machine"], quiet=True)


def table(rows, with_paired):
    lines = [
        "| plan | stage | predicted s | actual s (median) | actual s (runs) | error |"
        + (" paired errors (rounds) | paired (median) |" if with_paired else ""),
        "|---|---|---:|---:|---:|---:|" + ("---:|---:|" if with_paired else ""),
    ]
    for plan, stage, predicted, actuals, paired in rows:
        actual = median(actuals)
        runs = ", ".join(f"{a:.1f}" for a in actuals)
        line = f"| {plan} | {stage} | {predicted:.1f} | {actual:.1f} | {runs} | {100 * (predicted / actual - 1):+.1f}% |"
        if with_paired:
            line += " " + ", ".join(f"{100 * e:+.1f}%" for e in paired) + f" | {100 * median(paired):+.1f}% |"
        lines.append(line)
    return "\n".join(lines)


def round_profiles(work, rounds):
    """The quick profile taken just before each round, when every round has
    one: a round's runs against it pair each run with the machine's speed of
    that minute (the drift between rounds then leaves the comparison)."""
    paths = [os.path.join(work, f"profile-{r + 1}.yaml") for r in range(rounds)]
    return paths if all(os.path.exists(p) for p in paths) else None


def compared(sprout, plan, run_dir, profile):
    report = json.loads(run([sprout, "compare", plan, run_dir, "--hardware", profile, "--format", "json"]))
    return report["stages"] + [dict(report["total"], name="total")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", help="directory for the profile, the data and the runs (default: a new temporary one)")
    parser.add_argument("--profile", help="use this hardware profile instead of measuring one")
    parser.add_argument("--plans", nargs="+", default=sorted(glob.glob(os.path.join(ROOT, "plans/cpu-matrix/*.yaml"))))
    parser.add_argument("--rounds", type=int, default=3, help="times each plan is trained, round after round (default 3)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--reuse-runs", action="store_true", help="compare runs already in --work instead of training")
    args = parser.parse_args()

    sprout = os.path.join(args.build, "cli/sprout")
    trainer = os.path.join(args.build, "backend/sprout-train")
    work = args.work or tempfile.mkdtemp(prefix="sprout-matrix-")
    os.makedirs(work, exist_ok=True)
    profile = args.profile or os.path.join(work, "this-machine.yaml")
    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        run([trainer, "prepare", "--out", data], quiet=True)

    names = [os.path.splitext(os.path.basename(plan))[0] for plan in args.plans]
    if not args.reuse_runs:
        for round_index in range(args.rounds):
            if not args.profile:
                profile_machine(sprout, work, round_index)
            # Each round starts at another plan: a plan trained after the
            # same neighbour every round met the same stretch of the drift.
            order = list(zip(args.plans, names))
            shift = round_index * len(order) // max(1, args.rounds)
            for plan, name in order[shift:] + order[:shift]:
                run_dir = os.path.join(work, f"{name}-run{round_index + 1}")
                subprocess.run(["rm", "-rf", run_dir], check=True)
                started = time.monotonic()
                print(f"round {round_index + 1}/{args.rounds}: training {name} ...", file=sys.stderr, flush=True)
                run([trainer, "--plan", plan, "--data", data, "--out", run_dir, "--quiet"])
                print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    rows = []
    errors, paired_errors = [], []
    per_round = None if args.profile else round_profiles(work, args.rounds)
    for plan, name in zip(args.plans, names):
        predicted, actuals, paired = {}, {}, {}
        for round_index in range(args.rounds):
            run_dir = os.path.join(work, f"{name}-run{round_index + 1}")
            for stage in compared(sprout, plan, run_dir, profile):
                predicted[stage["name"]] = wall(stage)["predicted"]
                actuals.setdefault(stage["name"], []).append(wall(stage)["actual"])
            for stage in compared(sprout, plan, run_dir, per_round[round_index]) if per_round else []:
                paired.setdefault(stage["name"], []).append(wall(stage)["predicted"] / wall(stage)["actual"] - 1)
        for stage, stage_actuals in actuals.items():
            rows.append((name, stage, predicted[stage], stage_actuals, paired.get(stage, [])))
            if stage != "total":
                errors.append(abs(predicted[stage] / median(stage_actuals) - 1))
                if per_round:
                    paired_errors.append(abs(median(paired[stage])))

    text = table(rows, per_round is not None)
    text += f"\n\nStages: {len(errors)}; mean |error| {100 * sum(errors) / len(errors):.1f}%, "
    text += f"largest {100 * max(errors):.1f}%"
    if per_round:
        text += (f"; paired round by round (each run against the profile taken just before its round, the median "
                 f"over the rounds): mean {100 * sum(paired_errors) / len(paired_errors):.1f}%, "
                 f"largest {100 * max(paired_errors):.1f}%")
    text += ".\n"
    print(text)
    if args.markdown:
        write_atomically(args.markdown, text)
    return 0 if max(errors) <= 0.15 else 1


if __name__ == "__main__":
    sys.exit(main())
