// SPDX-License-Identifier: GPL-3.0-or-later
// Memory per GPU of a stage under a layout: model states (Megatron-LM mixed
// precision Adam, ZeRO-1; sprout-train's fp32 AdamW) and activations
// (Korthikanti et al. 2022; sprout-train's own tensors).
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"

namespace sprout::planner {

struct MemoryBreakdown {
  double parameters_per_gpu = 0;  // on the most loaded pipeline stage
  double weights_gb = 0;          // bf16 weights (sprout-train: the fp32 parameters)
  double gradients_gb = 0;        // fp32 gradient accumulation
  double optimizer_gb = 0;        // fp32 master weights + Adam m, v (sprout-train: m, v)
  double activations_gb = 0;      // all in-flight micro-batches
  double growth_ramp_gb = 0;      // what an MSG width ramp's masks add to them (its steps only)
  double reserved_gb = 0;         // profile's context/buffer reserve
  // The peak: a stage that starts with a width ramp needs its extra then.
  double total_gb() const {
    return weights_gb + gradients_gb + optimizer_gb + activations_gb + growth_ramp_gb + reserved_gb;
  }
};

// Which execution's activations are counted: which tensors a layer keeps
// for its backward pass and how wide each element is (docs/formulas.md
// "Memory per GPU").
enum class ActivationFootprint {
  // Korthikanti et al. 2022 (arXiv 2205.05198) Table 2: Megatron-LM with
  // 16-bit activations and 1-byte dropout masks, the stored tensors only.
  // The planner's estimates and the published-run validation use it.
  kMegatronFp16,
  // sprout-train (backend/src/step/gpt_forward.cc under LibTorch autograd)
  // with training.dtype fp32 or bf16 autocast: fp32 dropout masks, the
  // attention core keeping its probabilities (fp32: the fused CPU kernel,
  // no s^2 temporaries in its backward; bf16: unfused), the concatenated
  // QKV weight, the logits' fp32 log-probabilities, and the peak's
  // transients (the loss's gradients, the block recomputed in the backward
  // pass). fp32 on a GPU runs the unfused core (not modelled).
  kSproutTrainFp32,
  kSproutTrainBf16,
};

// The footprint of sprout-train with training.dtype `dtype` (fp32 | bf16).
ActivationFootprint sprout_train_footprint(const std::string& dtype);

// Activation bytes one layer keeps for one micro-batch until its backward
// pass (Megatron: Korthikanti et al. 2022 Table 2), with the dropout masks
// left out when dropout is off and the s^2 terms left out under flash
// attention.
double activation_bytes_per_layer(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                                  double dropout, ActivationFootprint footprint = ActivationFootprint::kMegatronFp16);

// Peak activation bytes on the GPU holding the most: the first pipeline
// stage's layers for every micro-batch in flight (1F1B: min(p, m), more
// when interleaved), plus the logits (Megatron: 4 s b V / t bytes;
// sprout-train: the loss's saved tensors and gradients and the peak's other
// transients).
double activation_bytes_per_gpu(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                                double dropout, int micro_batches_per_iteration,
                                ActivationFootprint footprint = ActivationFootprint::kMegatronFp16);

// Parameters per GPU on the most loaded pipeline stage: its layers, on the
// first the token embedding and learned positions for the lookup, on the
// last the output matrix for the logits (a copy of a tied embedding, or the
// untied head) and the final norm. With uneven stages, the stage with the
// most.
double stage_parameters_per_gpu(const ModelShape& shape, const ParallelLayout& layout);

// Memory per GPU of the busiest pipeline stage (with uneven stages each
// stage's own layers, embedding and in-flight micro-batches are counted).
// `footprint` chooses the execution for the model states as for the
// activations: Megatron-LM's 18 bytes a parameter (6 + 12/DP with the
// distributed optimizer), or sprout-train's 16 (8 + 8/DP under ZeRO-1).
MemoryBreakdown memory_per_gpu(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                               double dropout, int micro_batches_per_iteration, const HardwareProfile& hw,
                               ActivationFootprint footprint = ActivationFootprint::kMegatronFp16);

// Activation bytes sprout-train's MSG masks add on the busiest GPU during
// the ramp after a width growth (masked LayerNorms, bf16 autocast's
// promoted FFN activations: docs/formulas.md "Memory per GPU"). 0 for
// Megatron-LM's footprint, whose growth code is not public.
double width_ramp_activation_bytes(const ModelShape& shape, const ParallelLayout& layout,
                                   int micro_batches_per_iteration, ActivationFootprint footprint);

// What memory_per_gpu counts for a stage trained by `framework` with
// training.dtype `dtype`: sprout-train's own footprint, else Megatron-LM's.
ActivationFootprint memory_footprint_of(Framework framework, const std::string& dtype);

// "needs 812.3 GB per GPU (weights 203.4, ...) but a800 has 80 GB", or nothing.
std::optional<std::string> memory_problem(const MemoryBreakdown& memory, const HardwareProfile& hw);

}  // namespace sprout::planner
