// SPDX-License-Identifier: GPL-3.0-or-later
// The GPT forward pass: token (+ learned position) embeddings, pre-norm
// blocks (LayerNorm or RMSNorm; causal multi-head or grouped-query attention
// with rotary/xPos on queries and keys or learned positions; GELU or SwiGLU
// MLP), final norm, tied or separate output head. With GrowthMasks it computes the
// MSG-masked function; without, the plain one (no mask code at all).
//
// The same code runs one rank's part of a model under tensor and pipeline
// parallelism (model_partition.h): a GptModel holding this rank's tensor-
// parallel slice of each parameter and only the layers of its pipeline stage.
// Head and neuron counts are read from the tensors, the Megatron-LM
// collectives come from ForwardContext::tp, and a pipeline stage runs
// gpt_embed (first), gpt_blocks, gpt_head_logits + gpt_cross_entropy (last).
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "model/gpt_model.h"
#include "model/growth.h"
#include "parallel/stage_layout.h"
#include "parallel/tensor_parallel_ops.h"
#include "sprout/planner/model/parallel_layout.h"

namespace sprout::backend {

struct ForwardContext {
  const GrowthMasks* masks = nullptr;  // set only during an MSG ramp (full-model masks; cut to the TP slice here)
  bool training = false;               // dropout active (when the model has dropout > 0)
  // Dropout randomness of this micro-batch (from its first sequence number:
  // training_step.h): the Philox key of every mask (dropout_mask.h). A mask
  // depends on this, the place it applies (the embedding; block l's attention
  // probabilities, attention and MLP outputs) and each element's index in the
  // full tensor only, so a rank that computes only some layers, heads or
  // positions (pipeline, tensor, sequence parallelism) applies exactly the
  // masks the single-process run does, on any device.
  uint64_t dropout_seed = 0;
  TensorParallelContext tp = {};  // tensor parallelism (none by default)
  // What the backward pass recomputes (step/recompute.h) when gradients are
  // on: `full` re-runs every block, `selective` the attention core only
  // (Korthikanti et al. 2022). The values are the same either way.
  planner::Recompute recompute = planner::Recompute::kNone;
  // `flash`: the fused kernel (step/fused_attention.h) instead of the
  // unfused core (check_attention_kernels refuses it with dropout).
  planner::AttentionKernel attention = planner::AttentionKernel::kStandard;
};

// tokens [B, T] -> the residual stream [B, T, hidden] (vocab-parallel
// embedding under tensor parallelism; with sequence parallelism this rank's
// [B, T / tp, hidden] block of positions, as gpt_blocks takes and returns).
torch::Tensor gpt_embed(const GptModel& model, const torch::Tensor& tokens, const ForwardContext& ctx);

// Blocks [layers.begin, layers.end) applied to the residual stream.
torch::Tensor gpt_blocks(const GptModel& model, torch::Tensor x, const LayerRange& layers, const ForwardContext& ctx);

// Final norm and output layer: logits [B, T, vocab] (tensor parallel:
// this rank's [B, T, vocab/tp] columns).
torch::Tensor gpt_head_logits(const GptModel& model, const torch::Tensor& x, const ForwardContext& ctx);

// Mean next-token cross-entropy in nats (tensor parallel: Megatron-LM's
// vocab-parallel cross-entropy, the same value on every rank).
torch::Tensor gpt_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, const ForwardContext& ctx);

// The whole model on one rank. tokens: [batch, time] int64 -> logits [batch, time, vocab].
torch::Tensor gpt_logits(const GptModel& model, const torch::Tensor& tokens, const ForwardContext& ctx);

// Mean next-token cross-entropy in nats.
torch::Tensor gpt_loss(const GptModel& model, const torch::Tensor& inputs, const torch::Tensor& targets,
                       const ForwardContext& ctx);

}  // namespace sprout::backend
