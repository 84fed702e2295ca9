#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An independent check of `sprout-train export --format hf`.

Reads model.safetensors and config.json with its own safetensors reader
(huggingface/safetensors README "Format": u64 LE header length, JSON
header, raw little-endian data), runs a NumPy forward of the GPT-2 or Llama
model the config names (as transformers defines them) and prints the mean
cross-entropy on the validation windows sprout-train evaluates
(backend/src/data/batch_sampler.cc validation_batch): window i starts at
min(i * stride, N - T - 1), stride = max(1, (N - T - 1) // W). It shares no
code with the writer and needs python3-numpy only (no LibTorch).

usage: hf_numpy_forward.py MODEL_DIR VAL_SHARD WINDOWS SEQ_LEN
prints: {"loss": L, "windows": W, "layout": "gpt2"|"llama"}
"""
import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    if (8 + n) % 8:
        raise ValueError("data not 8-byte aligned")
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[base + begin:base + end], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<"))
        out[name] = a.reshape(e["shape"]).astype(np.float64)
    return out


def read_token_shard(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"SPROUTTK":
        raise ValueError(path + ": not a token shard")
    token_bytes, _vocab = struct.unpack("<II", data[12:20])
    (count,) = struct.unpack("<Q", data[24:32])
    dtype = "<u2" if token_bytes == 2 else "<u4"
    return np.frombuffer(data[32:32 + count * token_bytes], dtype=dtype).astype(np.int64)


def validation_windows(tokens, windows, seq_len):
    last = len(tokens) - seq_len - 1
    stride = max(1, last // max(1, windows))
    starts = [min(i * stride, last) for i in range(windows)]
    w = np.stack([tokens[s:s + seq_len + 1] for s in starts])
    return w[:, :-1], w[:, 1:]


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


ERF = np.frompyfunc(math.erf, 1, 1)


def gelu(x):  # the exact erf form ("gelu" in transformers' ACT2FN)
    return 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0)).astype(np.float64))


def attend(q, k, v):
    """q [B, H, T, D], k/v [B, H, T, D] -> [B, T, H*D], causal."""
    t = q.shape[2]
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
    scores = np.where(np.triu(np.ones((t, t), dtype=bool), 1), -np.inf, scores)
    scores = scores - scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p = p / p.sum(-1, keepdims=True)
    y = p @ v
    b, h, _, d = y.shape
    return y.transpose(0, 2, 1, 3).reshape(b, t, h * d)


def heads(x, n):
    b, t, hd = x.shape
    return x.reshape(b, t, n, hd // n).transpose(0, 2, 1, 3)


def gpt2_logits(w, c, ids):
    eps, n_head = c["layer_norm_epsilon"], c["n_head"]
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][: ids.shape[1]]
    for layer in range(c["n_layer"]):
        p = "transformer.h.%d." % layer
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: x @ W[in, out]
        q, k, v = np.split(qkv, 3, axis=-1)
        y = attend(heads(q, n_head), heads(k, n_head), heads(v, n_head))
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        x = x + gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[p + "mlp.c_proj.weight"] + w[
            p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    head = w.get("lm_head.weight", w["transformer.wte.weight"])
    return x @ head.T


def rotary(x, theta):
    """Llama's rotate-half rotary on [B, H, T, D]."""
    t, d = x.shape[2], x.shape[3]
    inv = theta ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    angles = np.outer(np.arange(t, dtype=np.float64), inv)
    cos = np.concatenate([np.cos(angles)] * 2, -1)
    sin = np.concatenate([np.sin(angles)] * 2, -1)
    half = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * cos + half * sin


def llama_logits(w, c, ids):
    eps, nh, nkv = c["rms_norm_eps"], c["num_attention_heads"], c["num_key_value_heads"]
    x = w["model.embed_tokens.weight"][ids]
    for layer in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % layer
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = rotary(heads(a @ w[p + "self_attn.q_proj.weight"].T, nh), c["rope_theta"])
        k = rotary(heads(a @ w[p + "self_attn.k_proj.weight"].T, nkv), c["rope_theta"])
        v = heads(a @ w[p + "self_attn.v_proj.weight"].T, nkv)
        k, v = np.repeat(k, nh // nkv, axis=1), np.repeat(v, nh // nkv, axis=1)  # transformers' repeat_kv
        x = x + attend(q, k, v) @ w[p + "self_attn.o_proj.weight"].T
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = m @ w[p + "mlp.gate_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * (m @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def cross_entropy(logits, targets):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], -1).mean())


def main():
    model_dir, shard, windows, seq_len = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(model_dir + "/config.json") as f:
        config = json.load(f)
    weights = read_safetensors(model_dir + "/model.safetensors")
    inputs, targets = validation_windows(read_token_shard(shard), windows, seq_len)
    layout = config["model_type"]
    forward = gpt2_logits if layout == "gpt2" else llama_logits
    print(json.dumps({"loss": cross_entropy(forward(weights, config, inputs), targets), "windows": windows,
                      "layout": layout}))


if __name__ == "__main__":
    main()
