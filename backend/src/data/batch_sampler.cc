// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/batch_sampler.h"

#include <fmt/format.h>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {
namespace {

TokenBatch gather(const TokenShard& shard, const std::vector<int64_t>& starts, int64_t seq_len, torch::Device device) {
  auto offsets = torch::tensor(starts, torch::kInt64).unsqueeze(1) + torch::arange(seq_len + 1, torch::kInt64);
  torch::Tensor windows =
      shard.tokens.index_select(0, offsets.reshape({-1})).reshape(offsets.sizes()).to(torch::kInt64);
  return {windows.slice(1, 0, seq_len).contiguous().to(device),
          windows.slice(1, 1, seq_len + 1).contiguous().to(device)};
}

void require_window(const TokenShard& shard, int64_t seq_len) {
  if (shard.size() < seq_len + 2) {
    throw planner::InputError(
        {shard.path, 0, 0}, "count",
        fmt::format("{} tokens is too few for one window of seq_len {} + 1", shard.size(), seq_len));
  }
}

}  // namespace

TokenBatch training_batch(const TokenShard& shard, int64_t seq_len, uint64_t seed, int64_t first_sequence,
                          int64_t count, torch::Device device) {
  require_window(shard, seq_len);
  const uint64_t positions = static_cast<uint64_t>(shard.size() - seq_len - 1);
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t n = static_cast<uint64_t>(first_sequence + i);
    starts.push_back(static_cast<int64_t>(splitmix64(splitmix64(seed) ^ n) % positions));
  }
  return gather(shard, starts, seq_len, device);
}

TokenBatch validation_batch(const TokenShard& shard, int64_t seq_len, int64_t first_window, int64_t count,
                            int64_t total_windows, torch::Device device) {
  require_window(shard, seq_len);
  const int64_t stride = std::max<int64_t>(1, (shard.size() - seq_len - 1) / std::max<int64_t>(1, total_windows));
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < count; ++i) {
    starts.push_back(std::min(((first_window + i) * stride), shard.size() - seq_len - 1));
  }
  return gather(shard, starts, seq_len, device);
}

}  // namespace sprout::backend
