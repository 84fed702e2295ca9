// SPDX-License-Identifier: GPL-3.0-or-later
// Causal attention for fp32 tensors on the CPU, fused per (batch, head):
// softmax(q k^T * scale) (dropout) v computed row by row with the head's
// s x s scores in cache, only the causal half (j <= i) computed, no -inf
// fill, no transposed copies of q, k or v and no batched GEMM calls.
//
// Why: at the trainer's CPU shapes (head size 16-64, s 64-512) LibTorch
// 1.13's unfused path (bmm, masked_fill, softmax, their backwards and the
// transposes' copies) took ~75% of a training step (torch.profiler on the
// speed benchmark's shape: bmm 26%, softmax backward 14%, softmax 12%, the
// scale's backward 12%, copies 9%), its bmm at ~16 GFLOP/s on 128 x 16
// matrices. The backward follows FlashAttention's algebra (Dao et al. 2022,
// arXiv 2205.14135, Appendix B.2): dS = P o (dP - rowsum(dO o O)), with
// rowsum(dO o O) = rowsum(dP_dropped o P_dropped) computed from the saved
// probabilities, so the output need not be kept.
//
// The probabilities (before dropout) are kept for the backward pass, as the
// unfused path keeps its softmax output: the activation memory stays that of
// standard attention (Korthikanti et al. 2022, sec. 4.1).
#pragma once

#include <torch/types.h>

namespace sprout::backend {

// Whether the fused CPU kernel runs for these inputs: fp32 CPU tensors and
// no CPU autocast (bf16 autocast keeps LibTorch's oneDNN bf16 GEMMs).
bool cpu_causal_attention_applies(const torch::Tensor& q);

// Causal attention, q/k/v [batch, heads, positions, head size] (key/value
// heads already repeated for GQA; the last dimension contiguous, any other
// strides), with gradients. `keep` (optional): the dropout keep mask
// [batch, heads, positions, positions] (bool), kept entries scaled by
// 1 / (1 - dropout). Returns [batch, heads, positions, head size] (a
// transposed view of a [batch, positions, heads, head size] tensor, so the
// caller's merge of the heads is a view).
torch::Tensor cpu_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                                   const torch::Tensor& keep = {}, double dropout = 0);

}  // namespace sprout::backend
