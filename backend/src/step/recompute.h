// SPDX-License-Identifier: GPL-3.0-or-later
// Activation recomputation (activation checkpointing; Chen et al. 2016,
// Korthikanti et al. 2022, arXiv 2205.05198): a piece of the forward pass
// runs without keeping anything for the backward pass but its inputs, and
// runs again inside the backward pass to differentiate it. LibTorch's C++ API
// has no torch.utils.checkpoint; this is one custom autograd function
// (torch::autograd::Function), as Megatron-LM's CheckpointFunction is in
// Python.
//
// Megatron-LM and torch.utils.checkpoint save and restore the RNG states
// around the re-run so dropout draws the same masks; here every mask is a
// function of ForwardContext (seed, micro-batch, place), so the re-run draws
// them again by itself. What is restored is the autocast state of the
// forward (as torch.utils.checkpoint does): the backward pass runs outside
// the forward's AutocastGuard.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace sprout::backend {

// A piece of the forward pass: inputs -> outputs. It may read other tensors
// (parameters, masks) but must compute the same ops in the same order every
// time it runs, so the re-run's values are the first run's bit for bit.
using ForwardPiece = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>& inputs)>;

// Runs `piece` on `inputs` under no-grad and keeps only `inputs` for the
// backward pass. `parameters`: the leaves the piece reads besides its inputs
// (a block's weights); they are inputs of the autograd node, so the
// gradients the re-run computes for them flow into their .grad as a plain
// forward's would. Under tensor parallelism the re-run repeats the piece's
// forward collectives, as Megatron-LM does: every rank of the group re-runs
// the same pieces in the same order, so they meet.
std::vector<torch::Tensor> run_recomputed(const ForwardPiece& piece, const std::vector<torch::Tensor>& inputs,
                                          const std::vector<torch::Tensor>& parameters);

}  // namespace sprout::backend
