// SPDX-License-Identifier: GPL-3.0-or-later
// Memory per GPU of a stage under a layout: model states (Megatron-LM mixed
// precision Adam, ZeRO-1) and activations (Korthikanti et al. 2022).
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"

namespace sprout::planner {

struct MemoryBreakdown {
  double parameters_per_gpu = 0;  // on the most loaded pipeline stage
  double weights_gb = 0;          // bf16 weights
  double gradients_gb = 0;        // fp32 gradient accumulation
  double optimizer_gb = 0;        // fp32 master weights + Adam m, v
  double activations_gb = 0;      // all in-flight micro-batches
  double reserved_gb = 0;         // profile's context/buffer reserve
  double total_gb() const { return weights_gb + gradients_gb + optimizer_gb + activations_gb + reserved_gb; }
};

// Activation bytes of one layer for one micro-batch (Korthikanti et al. 2022,
// arXiv 2205.05198, Table 2), with the dropout masks left out when dropout is
// off and the s^2 terms left out under flash attention.
double activation_bytes_per_layer(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                                  double dropout);

// Parameters per GPU on the most loaded pipeline stage: its layers plus the
// (tied) embedding, which the first stage holds for the lookup and the last
// for the logits. With uneven stages, the stage with the most.
double stage_parameters_per_gpu(const ModelShape& shape, const ParallelLayout& layout);

// Memory per GPU of the busiest pipeline stage (with uneven stages each
// stage's own layers, embedding and in-flight micro-batches are counted).
MemoryBreakdown memory_per_gpu(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                               double dropout, int micro_batches_per_iteration, const HardwareProfile& hw);

// "needs 812.3 GB per GPU (weights 203.4, ...) but a800 has 80 GB", or nothing.
std::optional<std::string> memory_problem(const MemoryBreakdown& memory, const HardwareProfile& hw);

}  // namespace sprout::planner
