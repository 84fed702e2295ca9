// SPDX-License-Identifier: GPL-3.0-or-later
// `attention: flash`: LibTorch 2.x's fused scaled-dot-product attention
// (at::scaled_dot_product_attention: FlashAttention or memory-efficient
// attention on CUDA, its own fused kernel on the CPU), which never stores
// the s x s scores. LibTorch 1.13 has none; the trainer then refuses the
// plan at start (docs/backend.md "Fused attention").
#pragma once

#include <torch/types.h>

#include <string>

#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

// Whether the linked LibTorch has at::scaled_dot_product_attention (2.x).
bool fused_attention_available();

// "1.13", "2.5": the linked LibTorch's major.minor.
std::string libtorch_version();

// Causal softmax(q k^T * scale) v, q/k/v [batch, heads, positions, head
// size] (key/value heads already repeated for GQA), by the fused kernel
// without dropout. Throws std::logic_error where !fused_attention_available().
torch::Tensor fused_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     double scale);

// Refuses (planner::InputError at the stage's `attention` key, exit 2) a
// stage with `attention: flash` and dropout > 0 (the kernel draws its masks
// from the device RNG, not from (seed, micro-batch, element), so another
// layout or a resume would not reproduce the run), or on a LibTorch without
// the kernel.
void check_attention_kernels(const planner::Plan& plan);

}  // namespace sprout::backend
