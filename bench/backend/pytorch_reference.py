#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PyTorch peer of sprout-train for the speed benchmark: the same GPT
(pre-LN, learned positions, tied embeddings, biases, exact GELU, causal
attention written out as in the C++ forward), AdamW, gradient clipping and
accumulation, on the same token shard, shape, threads and batch. Run with
Debian's /usr/bin/python3 (python3-torch: the same libtorch underneath).
Prints one JSON line: {"tokens_per_s": ..., "step_seconds": [...]}."""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_shard(path):
    with open(path, "rb") as f:
        header = f.read(32)
        assert header[:8] == b"SPROUTTK", "not a sprout token shard"
        width = int.from_bytes(header[12:16], "little")
        count = int.from_bytes(header[24:32], "little")
        dtype = np.uint16 if width == 2 else np.uint32
        return torch.from_numpy(np.frombuffer(f.read(count * width), dtype=dtype).astype(np.int64))


class Block(torch.nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(h)
        self.q = torch.nn.Linear(h, h)
        self.k = torch.nn.Linear(h, h)
        self.v = torch.nn.Linear(h, h)
        self.o = torch.nn.Linear(h, h)
        self.ln2 = torch.nn.LayerNorm(h)
        self.w1 = torch.nn.Linear(h, ffn)
        self.w2 = torch.nn.Linear(ffn, h)

    def forward(self, x, causal):
        B, T, H = x.shape
        d = H // self.heads
        y = self.ln1(x)
        q = self.q(y).view(B, T, self.heads, d).transpose(1, 2)
        k = self.k(y).view(B, T, self.heads, d).transpose(1, 2)
        v = self.v(y).view(B, T, self.heads, d).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)).mul_(1.0 / math.sqrt(d))
        scores.masked_fill_(causal, float("-inf"))
        a = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, T, H)
        x = x + self.o(a)
        return x + self.w2(F.gelu(self.w1(self.ln2(x))))


class Gpt(torch.nn.Module):
    def __init__(self, layers, h, heads, ffn, vocab, seq):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.randn(vocab, h) * 0.02)
        self.wpe = torch.nn.Parameter(torch.randn(seq, h) * 0.02)
        self.blocks = torch.nn.ModuleList(Block(h, heads, ffn) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(h)

    def forward(self, tokens):
        T = tokens.shape[1]
        x = F.embedding(tokens, self.wte) + self.wpe[:T]
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        for b in self.blocks:
            x = b(x, causal)
        return F.linear(self.ln_f(x), self.wte)


def main():
    p = argparse.ArgumentParser()
    for name in ("layers", "hidden", "heads", "ffn", "vocab", "seq", "micro_batch", "accumulation", "threads",
                 "steps", "warmup_steps"):
        p.add_argument("--" + name.replace("_", "-"), type=int, required=True)
    p.add_argument("--shard", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    data = read_shard(a.shard)
    model = Gpt(a.layers, a.hidden, a.heads, a.ffn, a.vocab, a.seq)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1, foreach=False)
    gen = torch.Generator().manual_seed(0)
    times = []
    for step in range(a.warmup_steps + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        for _ in range(a.accumulation):
            starts = torch.randint(0, data.numel() - a.seq - 1, (a.micro_batch, 1), generator=gen)
            windows = data[starts + torch.arange(a.seq + 1)]
            logits = model(windows[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, a.vocab), windows[:, 1:].reshape(-1))
            (loss / a.accumulation).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        if step >= a.warmup_steps:
            times.append(time.perf_counter() - t0)
    tokens = a.micro_batch * a.accumulation * a.seq
    print(json.dumps({"tokens_per_s": tokens * len(times) / sum(times), "step_seconds": times}))


if __name__ == "__main__":
    main()
