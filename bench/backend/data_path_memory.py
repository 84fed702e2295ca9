#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data path's memory and speed on a 1 GB Megatron-LM dataset
(docs/backend.md "Data"): writes PREFIX.bin/.idx of random uint16 tokens
(MMIDIDX, documents of 200..4000 tokens) into /tmp, runs data_path_benchmark
on it (open = check every token + build the GPT sample indices; then batch
building: tokens/s, RSS), then sprout-train on it for a few steps of a small
model (training tokens/s, peak RSS of the whole trainer) and the same run on a
1 MB dataset (the trainer's RSS without the data). Prints one JSON object.

    python3 bench/backend/data_path_memory.py [build] [--gib 1] [--keep]

With --prepare the 1 GB dataset is made as a user makes one: English-like
text (the words of tests/backend/tiny_growth_run.h's corpus, paragraphs of
200..4000 bytes) through `sprout-train prepare --format megatron` (byte-level
tokens, uint16); with --plan PLAN (e.g. plans/tiny-cpu.yaml, the demo's
model) sprout-train trains that plan's first stage on it instead of the
2 x 128 model, and the data path builds batches of the plan's shape.
"""
import argparse
import array
import json
import os
import random
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import one_stage_plan, write_plan  # noqa: E402

VOCAB = 32000
SEQ = 256


def write_megatron(prefix, tokens, seed=7):
    """PREFIX.bin + PREFIX.idx (MMIDIDX version 1, dtype 8 = uint16), one document per sequence.
    Tokens are random bytes with each byte taken mod 125, so lo + 256 hi < 32000 = VOCAB (the
    standard library only: no NumPy needed)."""
    rng = random.Random(seed)
    lengths = array.array("i")
    total = 0
    while total < tokens:
        n = min(rng.randint(200, 4000), tokens - total)
        lengths.append(n)
        total += n
    table = bytes(i % 125 for i in range(256))
    with open(prefix + ".bin", "wb") as f:
        left = 2 * tokens
        while left > 0:
            n = min(left, 1 << 26)
            f.write(os.urandom(n).translate(table))
            left -= n
    pointers = array.array("q", [0] * len(lengths))
    for i in range(1, len(lengths)):
        pointers[i] = pointers[i - 1] + 2 * lengths[i - 1]
    documents = array.array("q", range(len(lengths) + 1))
    assert sys.byteorder == "little"
    with open(prefix + ".idx", "wb") as f:
        f.write(b"MMIDIDX\x00\x00" + struct.pack("<Q", 1) + struct.pack("<B", 8))
        f.write(struct.pack("<Q", len(lengths)) + struct.pack("<Q", len(documents)))
        f.write(lengths.tobytes() + pointers.tobytes() + documents.tobytes())


WORDS = ["the ", "growth ", "of ", "a ", "model ", "is ", "masked ", "and ", "its ", "loss ", "falls ", "when ",
         "new ", "heads ", "learn ", "words. "]


def prepare_megatron(build, out_dir, text_bytes, seed=7):
    """`sprout-train prepare --format megatron` of ~text_bytes of English-like text, as JSONL
    (one {"text": ...} document of 200..4000 bytes per line, Megatron's preprocess_data.py input);
    returns the prefix."""
    rng = random.Random(seed)
    text_path = out_dir + ".jsonl"
    with open(text_path, "w") as f:
        left = text_bytes
        while left > 0:
            n = min(rng.randint(200, 4000), left)
            words = [WORDS[(i * 7 + i // 3 + rng.randint(0, 1)) % 16] for i in range(n // 4 + 1)]
            f.write(json.dumps({"text": "".join(words)[:n]}) + "\n")
            left -= n
    subprocess.run(["rm", "-rf", out_dir], check=True)
    subprocess.run([os.path.join(build, "backend", "sprout-train"), "prepare", "--input", text_path, "--out",
                    out_dir, "--format", "megatron"], check=True, stdout=subprocess.DEVNULL)
    os.remove(text_path)
    return os.path.join(out_dir, "text_document")


def plan_shape(path):
    """(seq_len, sequences per step, vocab) of a plan whose model: gives seq_len and vocab and whose
    first stage gives global_batch_tokens (plans/tiny-cpu.yaml)."""
    text = open(path).read()
    seq = int(re.search(r"seq_len:\s*(\d+)", text).group(1))
    vocab = int(re.search(r"vocab:\s*(\d+)", text).group(1))
    batch = float(re.search(r"global_batch_tokens:\s*([0-9.e+]+)", text).group(1))
    return seq, int(batch) // seq, vocab


def peak_rss_mib(cmd):
    """Runs cmd; the peak RSS of it (ru_maxrss of the waited child) in MiB, and its stdout."""
    r = subprocess.run(["/usr/bin/env", "python3", "-c",
                        "import resource,subprocess,sys;"
                        "p=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,check=True);"
                        "sys.stdout.write(p.stdout.decode());"
                        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *cmd],
                       stdout=subprocess.PIPE, check=True, text=True)
    lines = r.stdout.rstrip().split("\n")
    return int(lines[-1]) / 1024.0, "\n".join(lines[:-1])


def train(build, prefix, run_dir, steps, threads, plan=None):
    """`steps` steps of the 2 x 128 bench model, or of `plan`'s first stage."""
    extra = []
    if plan is None:
        shape = {"layers": 2, "hidden": 128, "heads": 4, "ffn": 512, "vocab": VOCAB, "seq": SEQ}
        plan = write_plan(one_stage_plan("data-path", shape, sequences=8, micro_batch=8, steps=steps))
    else:
        extra = ["--stop-after-steps", str(steps)]
    subprocess.run(["rm", "-rf", run_dir], check=True)
    rss, _ = peak_rss_mib([os.path.join(build, "backend", "sprout-train"), "--plan", plan, "--out", run_dir,
                           "--data", prefix, "--threads", str(threads), "--quiet", *extra])
    with open(os.path.join(run_dir, "telemetry.jsonl")) as f:
        steps_ = [json.loads(line) for line in f if '"event"' not in line]
    # The first records time the warm-up (the bench model logs every step, a plan maybe every few).
    rates = [r["tokens_per_s"] for r in steps_[2 if extra == [] else 1:] if r.get("tokens_per_s")]
    return {"peak_rss_mib": rss, "tokens_per_s": sum(rates) / max(1, len(rates))}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--gib", type=float, default=1.0)
    p.add_argument("--dir", default="/tmp/sprout-data-path")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--batches", type=int, default=2000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--keep", action="store_true", help="keep the generated datasets")
    p.add_argument("--prepare", action="store_true", help="make the datasets with sprout-train prepare")
    p.add_argument("--plan", help="train this plan's first stage (byte-level: with --prepare)")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    seq, batch, vocab = plan_shape(a.plan) if a.plan else (SEQ, 8, VOCAB)
    tokens = int(a.gib * (1 << 30)) // 2
    if a.prepare:
        big = os.path.join(a.dir, "big", "text_document")
        if not os.path.exists(big + ".idx"):  # kept by an earlier --keep run
            big = prepare_megatron(a.build, os.path.join(a.dir, "big"), tokens)
        small = prepare_megatron(a.build, os.path.join(a.dir, "small"), 1 << 19)
    else:
        big, small = os.path.join(a.dir, "big_text_document"), os.path.join(a.dir, "small_text_document")
        if not os.path.exists(big + ".idx") or os.path.getsize(big + ".bin") != 2 * tokens:
            write_megatron(big, tokens)
        write_megatron(small, 1 << 19)
    bench = os.path.join(a.build, "bench", "backend", "data_path_benchmark")
    rss, out = peak_rss_mib([bench, big, str(seq), str(batch), str(a.batches), str(vocab)])
    result = {"dataset_bytes": os.path.getsize(big + ".bin") + os.path.getsize(big + ".idx"),
              "data_path": json.loads(out), "data_path_peak_rss_mib": rss, "seq_len": seq, "batch": batch,
              "train_big": train(a.build, big, os.path.join(a.dir, "run-big"), a.steps, a.threads, a.plan),
              "train_small": train(a.build, small, os.path.join(a.dir, "run-small"), a.steps, a.threads, a.plan),
              "load": os.getloadavg()}
    result["data_over_train_tokens_per_s"] = result["data_path"]["tokens_per_s"] / result["train_big"]["tokens_per_s"]
    print(json.dumps(result, indent=2))
    if not a.keep:
        subprocess.run(["rm", "-rf", a.dir], check=True)


if __name__ == "__main__":
    main()
