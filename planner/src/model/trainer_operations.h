// SPDX-License-Identifier: GPL-3.0-or-later
// The time of sprout-train's unfused memory-bound operations, counted as
// backend/src/step/gpt_forward.cc runs them, at the per-element costs the
// profile measured (HardwareProfile::trainer_ns_per_element; docs/formulas.md
// "sprout-train's operations").
#pragma once

#include "sprout/planner/model/throughput_model.h"

namespace sprout::planner::internal {

// Whether `hw` measured every operation a layer of `w` runs in sprout-train
// (and the optimizer's): else the model's bandwidth terms stand in.
bool has_trainer_operations(const StageWorkload& w, const HardwareProfile& hw);

// Whether sprout-train runs `w`'s attention core as its fused CPU kernel
// (backend/src/kernels/causal_attention_cpu.h: fp32 on the CPU): the
// profile measured `causal_attention` for this dtype, which `sprout
// profile` does only where the trainer runs it. Its cost then covers the
// core's products, scale, mask, softmax and their backward.
bool runs_fused_cpu_attention(const StageWorkload& w, const HardwareProfile& hw);

// Seconds of one layer's memory-bound operations for one micro-batch,
// forward and backward together (GEMMs excluded, but the fused CPU
// attention core's).
double trainer_layer_operation_seconds(const StageWorkload& w, const HardwareProfile& hw);

// Seconds of the final norm before the logits (the last pipeline stage) for
// one micro-batch, forward and backward.
double trainer_final_norm_seconds(const StageWorkload& w, const HardwareProfile& hw);

// Whether the profile measured sprout-train's token embedding (`embedding`,
// an optional operation; ask has_trainer_operations for the rest).
bool measured_embedding(const HardwareProfile& hw);

// Seconds of the first stage's token embedding for one micro-batch, forward
// and backward, as measured (measured_embedding): the lookup and its
// gradient's accumulation, and learned positions' broadcast add. Without
// the gradient's zero fill over the vocabulary rows (the caller's
// bandwidth term).
double trainer_embedding_seconds(const StageWorkload& w, const HardwareProfile& hw);

// Seconds of sprout-train's optimizer step over `parameters` local ones, in
// tensors the size of a layer of `layer_parameters` (adamw's size key).
double trainer_optimizer_seconds(const HardwareProfile& hw, double parameters, double layer_parameters);

}  // namespace sprout::planner::internal
