// SPDX-License-Identifier: GPL-3.0-or-later
// One rank's part of a model (and its Adam moments) under a tensor x
// pipeline x data-parallel layout, cut from the full model, and the full
// model assembled back from every rank's part. The trainer keeps the full
// model at its sync points (start, growth, evaluation, checkpoint, layout
// change) and trains the parts in between; both directions copy exact bits,
// so going through a layout changes nothing (docs/backend.md "Tensor and
// pipeline parallelism").
#pragma once

#include <vector>

#include "sprout/backend/adamw.h"
#include "sprout/backend/communicator.h"
#include "sprout/backend/gpt_model.h"
#include "sprout/backend/stage_layout.h"

namespace sprout::backend {

struct ModelPart {
  GptModel model;                 // the full shape, this rank's tensors (requires_grad leaves)
  std::vector<size_t> full_index;  // per local parameter: its index in the full model
  AdamWState optimizer;            // the moments of the local parameters (same step)
};

// This rank's part: the parameters it holds (RankShare::holds), each cut to
// its tensor-parallel slice, with the matching slices of the moments.
ModelPart partition_model(const GptModel& full, const AdamWState& full_optimizer, const RankShare& share);

// Whether this rank's copy of local parameter `i` is the one that counts
// for the whole run (writes it back to the full model, adds to the gradient
// norm): data-parallel rank 0, tensor-parallel rank 0 for a replicated
// parameter, and not the tied embedding copy of the last pipeline stage.
bool counts_parameter(const ModelPart& part, size_t i, const RankShare& share);

// Collective over `world` (every rank of the layout): every rank's `full`
// and `full_optimizer` get the trained values of every part. Exact: each
// element is written by one rank and the others add zero bits (the sum runs
// on the bit patterns as integers).
void assemble_full_model(Communicator& world, const ModelPart& part, const RankShare& share, GptModel& full,
                         AdamWState& full_optimizer);

}  // namespace sprout::backend
