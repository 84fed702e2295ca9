#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Predicted vs actual across plan kinds on this machine.

Takes one `sprout profile` of the machine, trains every plan of
plans/cpu-matrix/ with sprout-train, compares each run with its plan under
that profile (uncalibrated) and prints the wall-time error of every stage as
a Markdown table (docs/compare.md "Across plan kinds" is this output).

    scripts/cpu-prediction-matrix.py [--build build] [--work DIR]
        [--profile PROFILE.yaml] [--plans plans/cpu-matrix/a.yaml ...]
        [--markdown OUT.md]

Run it on a quiet machine: the profile and the runs are timings.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, quiet=False):
    """Runs cmd; exits with its output on failure."""
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    if not quiet and result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    return result.stdout


def wall(entry):
    return entry["metrics"]["wall_seconds"]


def table(rows):
    lines = [
        "| plan | stage | predicted s | actual s | error |",
        "|---|---|---:|---:|---:|",
    ]
    for plan, stage, predicted, actual, error in rows:
        lines.append(f"| {plan} | {stage} | {predicted:.1f} | {actual:.1f} | {100 * error:+.1f}% |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", help="directory for the profile, the data and the runs (default: a new temporary one)")
    parser.add_argument("--profile", help="use this hardware profile instead of measuring one")
    parser.add_argument("--plans", nargs="+", default=sorted(glob.glob(os.path.join(ROOT, "plans/cpu-matrix/*.yaml"))))
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--reuse-runs", action="store_true", help="compare runs already in --work instead of training")
    args = parser.parse_args()

    sprout = os.path.join(args.build, "cli/sprout")
    trainer = os.path.join(args.build, "backend/sprout-train")
    work = args.work or tempfile.mkdtemp(prefix="sprout-matrix-")
    os.makedirs(work, exist_ok=True)
    profile = args.profile or os.path.join(work, "this-machine.yaml")
    if not args.profile:
        print(f"profiling this machine -> {profile}", file=sys.stderr)
        run([sprout, "profile", "--quick", "--dtype", "bf16,fp32", "--out", profile], quiet=True)
    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        run([trainer, "prepare", "--out", data], quiet=True)

    rows = []
    errors = []
    for plan in args.plans:
        name = os.path.splitext(os.path.basename(plan))[0]
        run_dir = os.path.join(work, name)
        if not args.reuse_runs:
            subprocess.run(["rm", "-rf", run_dir], check=True)
            started = time.monotonic()
            print(f"training {name} ...", file=sys.stderr, flush=True)
            run([trainer, "--plan", plan, "--data", data, "--out", run_dir, "--quiet"])
            print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        report = json.loads(run([sprout, "compare", plan, run_dir, "--hardware", profile, "--format", "json"]))
        for stage in report["stages"]:
            w = wall(stage)
            rows.append((name, stage["name"], w["predicted"], w["actual"], w["error_fraction"]))
            errors.append(abs(w["error_fraction"]))
        w = wall(report["total"])
        rows.append((name, "total", w["predicted"], w["actual"], w["error_fraction"]))

    text = table(rows)
    text += f"\n\nStages: {len(errors)}; mean |error| {100 * sum(errors) / len(errors):.1f}%, "
    text += f"largest {100 * max(errors):.1f}%.\n"
    print(text)
    if args.markdown:
        with open(args.markdown + ".tmp", "w") as out:
            out.write(text)
        os.replace(args.markdown + ".tmp", args.markdown)
    return 0 if max(errors) <= 0.15 else 1


if __name__ == "__main__":
    sys.exit(main())
