// SPDX-License-Identifier: GPL-3.0-or-later
// Which token windows a step trains on. Sequence number n of the run (counted
// over all steps and ranks) starts at a position given by a counter-based
// hash of (seed, n): no sampler state but the count of sequences consumed, so
// resume restores the data position exactly and data-parallel ranks take
// disjoint sequence numbers of the same global batch.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "data/token_shard.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {

struct TokenBatch {
  torch::Tensor inputs;   // [batch, seq_len] int64
  torch::Tensor targets;  // [batch, seq_len] int64, inputs shifted by one
};

// Sequences first_sequence .. first_sequence + count - 1 of the training
// stream. Throws planner::InputError when the shard holds no full window.
TokenBatch training_batch(const TokenShard& shard, int64_t seq_len, uint64_t seed, int64_t first_sequence,
                          int64_t count, torch::Device device);

// The fixed validation set: `count` windows spread evenly over the shard,
// the same at every evaluation (so eval losses are comparable).
TokenBatch validation_batch(const TokenShard& shard, int64_t seq_len, int64_t first_window, int64_t count,
                            int64_t total_windows, torch::Device device);

// The sampler's counter hash (also the dropout masks' seeds): planner's SplitMix64.
using planner::splitmix64;

}  // namespace sprout::backend
