// SPDX-License-Identifier: GPL-3.0-or-later
// MSG growth operators (Masked Structural Growth, Yao et al., arXiv
// 2305.02869), function-preserving at mask 0. docs/backend.md "MSG" says
// where each mask sits and why.
//
//   width  hidden:   new residual dimensions; every norm (LayerNorm or
//                    RMSNorm) computes its statistics weighted by the mask c
//                    (c_i = 1 old, m new) and multiplies its output by c.
//   width  heads:    new heads; their Q, K and V are multiplied by m (also
//                    under rotary/xPos: a head's rotation is its own).
//   width  head dim: new dimensions inside every head (hidden grows with a
//                    fixed head count); Q, K, V of the new dimensions are
//                    multiplied by m and the softmax scale is
//                    1/sqrt(d_old + m (d_new - d_old)), the masked head size.
//                    Learned positions only: rotary/xPos frequencies depend
//                    on the head size (planner::infer_growth refuses it).
//   width  FFN:      new intermediate neurons; the mask multiplies their
//                    pre-activation (before GELU, as MSG's public code does;
//                    GELU(0) = 0).
//   depth:           inserted blocks compute h + m (Block(h) - h).
// The mask m ramps 0 -> 1 linearly over grow_steps optimizer steps; at 1 the
// ramp ends and the forward path has no mask code left.
#pragma once

#include <torch/types.h>

#include <optional>
#include <vector>

#include "model/adamw.h"
#include "model/gpt_model.h"

namespace sprout::backend {

// The state of one MSG ramp (between a growth and the end of its window).
struct GrowthRamp {
  planner::ModelShape from;
  planner::ModelShape to;
  std::vector<bool> new_layer;  // per layer of `to`: inserted by depth growth
  long long grow_steps = 0;
  long long steps_done = 0;  // optimizer steps taken since the growth

  // m for the next step: 0 right after growth, exactly 1 after grow_steps.
  double mask_value() const;
  bool active() const { return steps_done < grow_steps; }
};

// The masks of one forward pass (built from a GrowthRamp for a mask value).
struct GrowthMasks {
  double value = 1.0;
  torch::Tensor hidden;          // [hidden], undefined when hidden did not grow
  torch::Tensor ffn;             // [ffn_hidden], undefined when the FFN did not grow
  torch::Tensor q;               // [heads * head_dim], undefined when neither heads nor head dim grew
  torch::Tensor kv;              // [kv_heads * head_dim], likewise
  double attention_scale = 1.0;  // 1/sqrt(masked head size)
  std::vector<bool> new_layer;
};
GrowthMasks make_growth_masks(const GrowthRamp& ramp, torch::Device device);

// Where depth growth puts the new blocks: for each layer of the grown model,
// the old layer it copies or -1 for a new block. New blocks are spread
// evenly, each after an old one (l -> 2l interleaves old, new, old, new).
std::vector<int> depth_growth_sources(int old_layers, int new_layers);

struct GrownModel {
  GptModel model;
  GrowthRamp ramp;
  // For each parameter of the grown model, the index of the old parameter
  // whose values fill its leading block, or nullopt for a new block.
  std::vector<std::optional<size_t>> sources;
};

// Throws std::invalid_argument when `to` is not a growth of `from` (shrinks,
// changes vocab/seq_len/activation, the GQA grouping, tied embeddings, or
// grows the head size where rotary/xPos positions forbid it).
void check_growth(const planner::ModelShape& from, const planner::ModelShape& to);

// The MSG ramp of a growth from `from` to `to` over `grow_steps` steps.
GrowthRamp make_growth_ramp(const planner::ModelShape& from, const planner::ModelShape& to, long long grow_steps);

// For each parameter of `to` (gpt_parameter_specs order), the index among
// `from`'s parameters whose values fill its leading block, or nothing for a
// new one (a block inserted by depth growth).
std::vector<std::optional<size_t>> growth_sources(const planner::ModelShape& from, const planner::ModelShape& to);

// Grows `old` (a full model) to `to.shape` (width and/or depth): every
// tensor starts as grown_parameter_init draws it for `seed`
// (growth_init.h), and the old values go to its leading block. Throws
// as check_growth does.
GrownModel grow_gpt(const GptModel& old, const GptSettings& to, long long grow_steps, uint64_t seed);

// Adam state transfer (MSG): the old moments go to the leading block of
// every grown tensor, new entries get zeros, the step count is kept. Moments
// this rank does not hold (ZeRO-1, undefined) stay undefined; a parameter new
// in the grown model gets zero moments on every rank.
AdamWState grow_adamw_state(const AdamWState& old, const GptModel& old_model, const GrownModel& grown);

// Same architecture (every ModelShape field the model is built from).
bool same_shape(const planner::ModelShape& a, const planner::ModelShape& b);

// Copies `old` into the leading block of `target` (both in storage shape,
// viewed through their logical sizes).
void copy_leading_block(const torch::Tensor& old, const std::vector<int64_t>& old_logical, torch::Tensor& target,
                        const std::vector<int64_t>& new_logical);

}  // namespace sprout::backend
