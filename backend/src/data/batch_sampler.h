// SPDX-License-Identifier: GPL-3.0-or-later
// Batches of token windows from the run's token source (token_source.h):
// sequence number n of the run (counted over all steps and ranks) is training
// window n, so the only sampler state is the count of sequences consumed:
// resume restores the data position exactly, and data-parallel ranks take
// disjoint sequence numbers of the same global batch. Windows are read from
// the mapped files and widened to int64 for the batch being built only.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "data/data_source.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {

// A target the loss leaves out (at::cross_entropy_loss's default ignore_index).
inline constexpr int64_t kIgnoredTarget = -100;

struct TokenBatch {
  torch::Tensor inputs;   // [batch, seq_len] int64
  torch::Tensor targets;  // [batch, seq_len] int64, inputs shifted by one (kIgnoredTarget where masked)
};

// Sequences first_sequence .. first_sequence + count - 1 of the training stream.
TokenBatch training_batch(const TrainingData& data, int64_t seq_len, int64_t first_sequence, int64_t count,
                          torch::Device device);

// Windows first_window .. first_window + count - 1 of the fixed validation
// set of total_windows windows (the same at every evaluation).
TokenBatch validation_batch(const TrainingData& data, int64_t seq_len, int64_t first_window, int64_t count,
                            int64_t total_windows, torch::Device device);

// The dropout masks' seeds: planner's SplitMix64.
using planner::splitmix64;

}  // namespace sprout::backend
