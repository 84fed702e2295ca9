// SPDX-License-Identifier: GPL-3.0-or-later
// The GPT forward pass: token + learned position embeddings, pre-LN blocks
// (causal multi-head or grouped-query attention, GELU or SwiGLU MLP), final
// LayerNorm, tied or separate output head. With GrowthMasks it computes the
// MSG-masked function; without, the plain one (no mask code at all).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "sprout/backend/gpt_model.h"
#include "sprout/backend/growth.h"

namespace sprout::backend {

struct ForwardContext {
  const GrowthMasks* masks = nullptr;  // set only during an MSG ramp
  bool training = false;               // dropout active (when the model has dropout > 0)
  at::Generator* generator = nullptr;  // dropout randomness (one per micro-batch, from its sequence number)
};

// tokens: [batch, time] int64 -> logits [batch, time, vocab].
torch::Tensor gpt_logits(const GptModel& model, const torch::Tensor& tokens, const ForwardContext& ctx);

// Mean next-token cross-entropy in nats.
torch::Tensor gpt_loss(const GptModel& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                       const ForwardContext& ctx);

// LayerNorm whose mean and variance weight dimension i by c_i and whose
// output is multiplied by c (MSG): sum_i c_i x_i / sum_i c_i.
torch::Tensor masked_layer_norm(const torch::Tensor& x, const torch::Tensor& weight,
                                const torch::Tensor& bias, const torch::Tensor& mask);

}  // namespace sprout::backend
