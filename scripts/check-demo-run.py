#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks a finished sprout-train run (called by scripts/demo.sh): the final
validation loss is well below the corpus's unigram entropy, and at every
growth the loss right after equals the loss right before within 1% (MSG is
function-preserving at mask 0). Prints the losses; exits 1 if a check fails."""
import json
import sys

run = sys.argv[1]
summary = json.load(open(f"{run}/summary.json"))
records = [json.loads(line) for line in open(f"{run}/telemetry.jsonl")]
steps = [r for r in records if "event" not in r]
ok = True

unigram = summary["unigram_entropy_nats"]
final = summary["total"]["final_val_loss"]
print(f"unigram entropy of the corpus: {unigram:.4f} nats/byte; final validation loss: {final:.4f} "
      f"({100 * (1 - final / unigram):.0f}% below)")
if not final < 0.85 * unigram:
    print("FAIL: the final loss is not well below the unigram entropy (< 0.85x)")
    ok = False

for g in (r for r in records if r.get("event") == "grow"):
    before, after = g["val_loss_before"], g["val_loss_after"]
    k = g["step"]
    train_before = [r["loss"] for r in steps if k - 5 < r["step"] <= k]
    train_after = [r["loss"] for r in steps if k < r["step"] <= k + 5]
    change = 100 * (after - before) / before
    print(f"growth at step {k} to stage '{g['stage']}': val loss {before:.4f} before, {after:.4f} right after "
          f"({change:+.4f}%); mean logged train loss in the 5 steps before {sum(train_before) / max(1, len(train_before)):.4f}, "
          f"after {sum(train_after) / max(1, len(train_after)):.4f}")
    if abs(change) >= 1.0:
        print("FAIL: the loss changed by 1% or more at a growth")
        ok = False

for s in summary["stages"]:
    if not s["done"]:
        continue
    print(f"  stage {s['name']}: {s['steps']} steps, {s['tokens']:.0f} tokens, {s['wall_seconds']:.0f} s, "
          f"{s['energy_kwh'] * 1000:.2f} Wh, train loss {s['final_train_loss']:.4f}, val loss {s['final_val_loss']:.4f}")
sys.exit(0 if ok else 1)
