#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""sprout-train's tokens/s and model FLOPs utilisation (MFU) on one GPU: a
Llama-style ~1B stage (TinyLlama's 22 x 2048 shape: 32 heads, 4 KV heads,
SwiGLU 5632, RMSNorm, rotary; byte vocabulary of the default corpus) and
plans/single-gpu.yaml. MFU = model FLOPs per second / the bf16 dense peak,
model FLOPs per token = 6 N + 12 L h s (Kaplan et al. 2020 with the attention
term of Chowdhery et al. 2022, app. B; no recomputation counted).

Without a GPU it prints one line and exits 77 (the ctest/automake "skipped").

usage: /usr/bin/python3 bench/backend/gpu_mfu.py [BUILD_DIR] [--steps N] [--peak-tflops 989]"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

import bench_common as bc

LLAMA_1B = dict(layers=22, hidden=2048, heads=32, kv_heads=4, ffn=5632, vocab=256, seq=2048, micro_batch=8)


def gpu_name():
    """The first GPU nvidia-smi lists, or None."""
    if not shutil.which("nvidia-smi"):
        return None
    r = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith("GPU ")]
    return lines[0] if r.returncode == 0 and lines else None


def llama_plan(steps):
    s = LLAMA_1B
    batch = s["micro_batch"] * s["seq"]
    return f"""name: gpu_mfu Llama-style 1B stage
hardware: h200
gpus: 1
region: us-average
model: {{vocab: {s['vocab']}, seq_len: {s['seq']}, activation: swiglu, position_embedding: rotary, norm: rmsnorm,
         tied_embeddings: false, attention: flash, dropout: 0}}
training: {{eval_every_steps: 100000, checkpoint_every_steps: 100000, log_every_steps: 1, dtype: bf16, device: cuda}}
stages:
  - {{name: s, layers: {s['layers']}, hidden: {s['hidden']}, heads: {s['heads']}, kv_heads: {s['kv_heads']},
     ffn_hidden: {s['ffn']}, tokens: {steps * batch}, global_batch_tokens: {batch}, lr: 3.0e-4,
     parallel: {{tp: 1, pp: 1, dp: 1, micro_batch: {s['micro_batch']}}}}}
"""


def llama_flops_per_token():
    s = LLAMA_1B
    h, L, kv = s["hidden"], s["layers"], s["hidden"] * s["kv_heads"] // s["heads"]
    per_layer = 2 * h * h + 2 * h * kv + 3 * h * s["ffn"]  # q, o; k, v; gate, up, down
    params = L * per_layer + 2 * s["vocab"] * h  # untied embedding and head
    return 6 * params + 12 * L * h * s["seq"]


def steady_tokens_per_s(records, warmup):
    steps = [r["tokens_per_s"] for r in records if "event" not in r and "tokens_per_s" in r]
    return statistics.median(steps[warmup:] or steps)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build_dir", nargs="?", default="build")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--peak-tflops", type=float, default=989.0, help="bf16 dense peak (H100/H200 SXM: 989)")
    p.add_argument("--data", default="/tmp/sprout-bench-data")
    args = p.parse_args()
    gpu = gpu_name()
    if gpu is None:
        print("gpu_mfu: no GPU here (nvidia-smi lists none): skipped, nothing measured")
        sys.exit(77)
    bc.ensure_data(args.build_dir, args.data)
    print(f"gpu_mfu on {gpu}, peak {args.peak_tflops:g} TFLOP/s bf16")
    plan = bc.write_plan(llama_plan(args.steps))
    try:
        records = bc.train(args.build_dir, plan, "/tmp/sprout-gpu-mfu-llama", args.data, os.cpu_count())
    finally:
        os.unlink(plan)
    tps = steady_tokens_per_s(records, args.warmup)
    mfu = tps * llama_flops_per_token() / (args.peak_tflops * 1e12)
    print(f"llama-style 1B stage: {tps:,.0f} tokens/s, MFU {100 * mfu:.1f}% (steady steps, median)")
    # plans/single-gpu.yaml: the telemetry's own achieved TFLOP/s where it
    # reports them (the planner's FLOP count), else tokens/s only.
    records = bc.train(args.build_dir, os.path.join(bc.ROOT, "plans", "single-gpu.yaml"), "/tmp/sprout-gpu-mfu-single",
                       args.data, os.cpu_count())
    tps = steady_tokens_per_s(records, 1)
    tflops = [r["tflops_per_gpu"] for r in records if r.get("tflops_per_gpu")]
    line = f"plans/single-gpu.yaml: {tps:,.0f} tokens/s"
    if tflops:
        median = statistics.median(tflops)
        line += f", {median:.1f} TFLOP/s, MFU {100 * median / args.peak_tflops:.1f}%"
    print(line)


if __name__ == "__main__":
    main()
