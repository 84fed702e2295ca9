// SPDX-License-Identifier: GPL-3.0-or-later
// One optimizer step and one evaluation, as the training loop calls them:
// micro-batches forward/backward (gradient accumulation), gradients averaged
// across ranks by the Communicator, global-norm clipping, AdamW.
#pragma once

#include <ATen/core/Generator.h>

#include "sprout/backend/adamw.h"
#include "sprout/backend/communicator.h"
#include "sprout/backend/gpt_model.h"
#include "sprout/backend/growth.h"
#include "sprout/backend/token_shard.h"

namespace sprout::backend {

struct StepSpec {
  const TokenShard* shard = nullptr;
  int64_t seq_len = 0;
  uint64_t data_seed = 0;
  int64_t first_sequence = 0;  // of this step's global batch
  int64_t micro_batch = 0;
  int64_t accumulation = 0;    // micro-batches per rank
  double lr = 0;
  double grad_clip = 0;        // 0: no clipping
  bool bf16 = false;           // autocast the forward pass
  torch::Device device = torch::kCPU;
};

struct StepResult {
  double loss = 0;       // mean over the global batch
  double grad_norm = 0;  // before clipping
};

StepResult train_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw,
                      const GrowthMasks* masks, const StepSpec& spec, Communicator& comm,
                      at::Generator& dropout_generator);

struct EvalSpec {
  const TokenShard* shard = nullptr;
  int64_t seq_len = 0;
  int64_t micro_batch = 0;
  int64_t batches = 0;
  bool bf16 = false;
  torch::Device device = torch::kCPU;
};

// Mean loss on the fixed validation windows (no dropout, no gradients).
double evaluate(const GptModel& model, const GrowthMasks* masks, const EvalSpec& spec, Communicator& comm);

}  // namespace sprout::backend
