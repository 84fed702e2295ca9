#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CLI's JSON answers against golden files.

`sprout plan|simulate|search|validate --format json` for every plan in plans/
must give the same JSON as the golden files in tests/data/golden/, which were
captured from the commit before the restructure of the source tree (see
docs/architecture.md). A refactoring that changes a number, a key or a string
fails here.

  scripts/check-golden-json.py SPROUT_BINARY            compare (ctest runs this)
  scripts/check-golden-json.py SPROUT_BINARY --capture  (re)write the golden files

Numbers compare with a relative tolerance of 1e-9 (a refactoring may reorder a
sum); keys that measure the machine's own time are ignored.
"""
import argparse
import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
REL_TOL = 1e-9
# Wall-clock measurements of sprout itself, not results.
IGNORED_PATHS = {"$.stats.seconds"}


def cases():
    """(name, argv) of every golden case; argv without the binary."""
    plans = sorted((ROOT / "plans").glob("*.yaml")) + sorted((ROOT / "plans" / "validation").glob("korthikanti-*.yaml"))
    out = []
    for p in plans:
        rel = str(p.relative_to(ROOT))
        stem = rel.replace("/", "_").removesuffix(".yaml")
        out.append((f"plan_{stem}", ["plan", rel, "--format", "json"]))
        if p.parent.name == "plans":  # the validation plans time one iteration: nothing to simulate
            out.append((f"simulate_{stem}", ["simulate", rel, "--format", "json", "--trials", "2000", "--seed", "7"]))
    out += [
        ("plan_flm-101b_explain", ["plan", "plans/flm-101b.yaml", "--format", "json", "--explain"]),
        ("plan_flm-101b_iteration-dag", ["plan", "plans/flm-101b.yaml", "--format", "json", "--simulate-iteration"]),
        ("plan_flm-101b_h100_us", ["plan", "plans/flm-101b.yaml", "--format", "json", "--hardware", "h100-sxm",
                                   "--gpus", "256", "--region", "us-average", "--power-model", "typical"]),
        ("simulate_flm-101b_carbon-aware",
         ["simulate", "plans/flm-101b.yaml", "--format", "json", "--trials", "1000", "--seed", "3",
          "--carbon-trace", "profiles/regions/traces/cn-north-2023-synthetic.csv", "--carbon-aware", "start", "--deadline", "2023-03-15T00:00:00Z"]),
        ("simulate_flm-101b_iteration-dag",
         ["simulate", "plans/flm-101b.yaml", "--format", "json", "--trials", "500", "--simulate-iteration"]),
        ("search_101b_100k", ["search", "--target-params", "101e9", "--budget-usd", "100000", "--hardware", "a800",
                              "--gpus", "192", "--region", "cn-north", "--format", "json"]),
        ("search_101b_100k_compare_flm",
         ["search", "--target-params", "101e9", "--budget-usd", "100000", "--hardware", "a800", "--gpus", "192",
          "--region", "cn-north", "--compare", "plans/flm-101b.yaml", "--format", "json"]),
        ("search_shape_carbon_deadline",
         ["search", "--target-shape", "48x6144", "--budget-usd", "50000", "--hardware", "h100-sxm", "--gpus", "64",
          "--deadline-days", "30", "--max-co2e-t", "40", "--format", "json"]),
        ("validate", ["validate", "--format", "json"]),
    ]
    return out


def relative_paths(value):
    """Strings that name a file in the checkout, relative to it (the golden files hold no checkout path)."""
    if isinstance(value, dict):
        return {k: relative_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [relative_paths(v) for v in value]
    if isinstance(value, str) and value.startswith(str(ROOT) + "/"):
        return value[len(str(ROOT)) + 1:]
    return value


def run(binary, argv):
    p = subprocess.run([binary] + argv, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"sprout {' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return relative_paths(json.loads(p.stdout))


def differences(golden, actual, path="$"):
    if isinstance(golden, dict) and isinstance(actual, dict):
        for k in sorted(set(golden) | set(actual)):
            if f"{path}.{k}" in IGNORED_PATHS:
                continue
            if k not in actual:
                yield f"{path}.{k}: missing"
            elif k not in golden:
                yield f"{path}.{k}: new key"
            else:
                yield from differences(golden[k], actual[k], f"{path}.{k}")
    elif isinstance(golden, list) and isinstance(actual, list):
        if len(golden) != len(actual):
            yield f"{path}: {len(golden)} items, now {len(actual)}"
        for i, (g, a) in enumerate(zip(golden, actual)):
            yield from differences(g, a, f"{path}[{i}]")
    elif isinstance(golden, (int, float)) and isinstance(actual, (int, float)) and not isinstance(golden, bool):
        if not math.isclose(golden, actual, rel_tol=REL_TOL, abs_tol=1e-12):
            yield f"{path}: {golden!r}, now {actual!r}"
    elif golden != actual:
        yield f"{path}: {golden!r}, now {actual!r}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sprout")
    ap.add_argument("--capture", action="store_true")
    args = ap.parse_args()
    failed = 0
    all_cases = cases()
    for name, argv in all_cases:
        actual = run(args.sprout, argv)
        golden_file = GOLDEN / f"{name}.json"
        if args.capture:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            golden_file.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
            continue
        if not golden_file.exists():
            print(f"{name}: no golden file {golden_file.relative_to(ROOT)}")
            failed += 1
            continue
        diffs = list(differences(json.loads(golden_file.read_text()), actual))
        if diffs:
            failed += 1
            print(f"{name}: sprout {' '.join(argv)} differs from {golden_file.relative_to(ROOT)}:")
            for d in diffs[:20]:
                print(f"  {d}")
            if len(diffs) > 20:
                print(f"  ... {len(diffs) - 20} more")
    verb = "captured" if args.capture else "compared"
    print(f"golden JSON: {len(all_cases)} cases {verb}, {failed} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
