# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the backend benchmarks: run sprout-train on a plan
written from a template, read its telemetry."""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ensure_data(build_dir, data_dir):
    """The default corpus (Debian's fortunes) as token shards."""
    if not os.path.exists(os.path.join(data_dir, "train.bin")):
        subprocess.run([os.path.join(build_dir, "backend", "sprout-train"), "prepare", "--out", data_dir], check=True)
    return data_dir


def one_stage_plan(name, shape, sequences, micro_batch, steps, dp=1, tp=1, pp=1, interleave=1):
    """A plan of one stage of `shape` (layers, hidden, heads, ffn, vocab, seq)
    that trains `steps` steps of `sequences` sequences on a TP x PP x DP
    layout, logging every step and never evaluating or checkpointing (nothing
    but training is timed)."""
    s = shape
    batch = sequences * s["seq"]
    return f"""name: {name}
hardware: cpu-generic
gpus: {tp * pp * dp}
region: us-average
model: {{vocab: {s['vocab']}, seq_len: {s['seq']}, activation: gelu}}
training: {{eval_every_steps: 100000, checkpoint_every_steps: 100000, log_every_steps: 1}}
stages:
  - {{name: s, layers: {s['layers']}, hidden: {s['hidden']}, heads: {s['heads']}, ffn_hidden: {s['ffn']},
     tokens: {steps * batch}, global_batch_tokens: {batch}, lr: 1.0e-3,
     parallel: {{tp: {tp}, pp: {pp}, dp: {dp}, micro_batch: {micro_batch}, interleave: {interleave}}}}}
"""


def write_plan(text):
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="sprout-bench-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def train(build_dir, plan, run_dir, data_dir, threads, extra=()):
    """Runs sprout-train to completion; returns the telemetry records."""
    subprocess.run(["rm", "-rf", run_dir], check=True)
    subprocess.run([os.path.join(build_dir, "backend", "sprout-train"), "--plan", plan, "--out", run_dir, "--data",
                    data_dir, "--threads", str(threads), "--quiet", *extra], check=True)
    with open(os.path.join(run_dir, "telemetry.jsonl")) as f:
        return [json.loads(line) for line in f]


def train_ranks(build_dir, plan, run_dir, data_dir, ranks, threads, extra=()):
    """Runs `ranks` sprout-train processes as one data-parallel run (torchrun's
    variables on loopback); returns rank 0's telemetry records."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(["rm", "-rf", run_dir], check=True)
    procs = []
    for r in range(ranks):
        env = {**os.environ, "RANK": str(r), "WORLD_SIZE": str(ranks), "LOCAL_RANK": str(r),
               "LOCAL_WORLD_SIZE": str(ranks), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        procs.append(subprocess.Popen([os.path.join(build_dir, "backend", "sprout-train"), "--plan", plan, "--out",
                                       run_dir, "--data", data_dir, "--threads", str(threads), "--quiet", *extra],
                                      env=env))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"sprout-train ranks exited {codes}")
    with open(os.path.join(run_dir, "telemetry.jsonl")) as f:
        return [json.loads(line) for line in f]


def arguments(steps, rounds=3):
    """The options every scaling benchmark takes (parsed from the command line)."""
    p = argparse.ArgumentParser()
    p.add_argument("build_dir", nargs="?", default="build")
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=rounds)
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--data", default="/tmp/sprout-bench-data")
    return p.parse_args()
