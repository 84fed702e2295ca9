// SPDX-License-Identifier: GPL-3.0-or-later
// AdamW (Loshchilov & Hutter 2019) with the exact update of torch.optim.AdamW,
// its state held per parameter (aligned with GptModel's parameter order) so
// growth can transfer it and ZeRO-style sharding can split it.
#pragma once

#include <torch/types.h>

#include <vector>

namespace sprout::backend {

struct AdamWMoments {
  torch::Tensor exp_avg;     // first moment m
  torch::Tensor exp_avg_sq;  // second moment v
};

struct AdamWState {
  long long step = 0;  // optimizer steps taken (bias correction)
  std::vector<AdamWMoments> moments;
};

struct AdamWSettings {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
};

// Zero moments shaped like `parameters`.
AdamWState make_adamw_state(const std::vector<torch::Tensor>& parameters);

// One update with learning rate `lr`. `decay[i]` says whether parameter i
// gets decoupled weight decay. Gradients are read from parameters[i].grad();
// a parameter without a gradient is skipped (its moments are not touched),
// and so is one whose moments another rank holds (ZeRO-1: undefined here).
void adamw_step(std::vector<torch::Tensor>& parameters, const std::vector<bool>& decay, AdamWState& state,
                const AdamWSettings& settings, double lr);

// Scales all gradients so their global L2 norm is at most `max_norm`
// (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
double clip_grad_norm(std::vector<torch::Tensor>& parameters, double max_norm);

// The scaling of clip_grad_norm for a norm computed elsewhere (over the
// ranks of a tensor/pipeline-parallel layout): gradients times
// max_norm / (norm + 1e-6) when that is below 1; max_norm 0: unchanged.
void scale_gradients(std::vector<torch::Tensor>& parameters, double norm, double max_norm);

}  // namespace sprout::backend
