// SPDX-License-Identifier: GPL-3.0-or-later
// Activation memory of sprout-train: the tensors LibTorch's autograd keeps
// for the backward pass of backend/src/step/gpt_forward.cc, term by term,
// and the transients on top of them at the peak (docs/formulas.md
// "Activation memory of sprout-train"). memory_model.h's
// ActivationFootprint::kSproutTrain* select it.
#pragma once

#include "sprout/planner/model/memory_model.h"

namespace sprout::planner {

// Bytes one layer keeps for one micro-batch under `layout`'s recompute.
double trainer_bytes_per_layer(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                               double dropout, bool bf16);

// The peak activation bytes of the GPU that holds the most, with
// `layers_in_flight` layer-micro-batches stored at once.
double trainer_bytes_per_gpu(const ModelShape& shape, const ParallelLayout& layout, AttentionKernel attention,
                             double dropout, double layers_in_flight, bool bf16);

// What an MSG width ramp's masks add to the bytes above while they are on
// (the stage's first grow_steps steps after a width growth), with
// `layers_in_flight` layer-micro-batches stored at once.
double trainer_width_ramp_bytes_per_gpu(const ModelShape& shape, const ParallelLayout& layout, double layers_in_flight,
                                        bool bf16);

}  // namespace sprout::planner
