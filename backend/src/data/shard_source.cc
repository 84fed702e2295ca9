// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/shard_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/splitmix64.h"

namespace sprout::backend {
namespace {

void require_window(const TokenShard& shard, int64_t seq_len) {
  if (shard.size() < seq_len + 2) {
    throw planner::InputError(
        {shard.path(), 0, 0}, "count",
        fmt::format("{} tokens is too few for one window of seq_len {} + 1", shard.size(), seq_len));
  }
}

}  // namespace

ShardTokenSource::ShardTokenSource(TokenShard train, TokenShard validation, uint64_t seed, int64_t seq_len)
    : train_(std::move(train)), validation_(std::move(validation)), seed_(seed) {
  require_window(train_, seq_len);
  require_window(validation_, seq_len);
}

void ShardTokenSource::training_window(int64_t n, std::span<int64_t> window) const {
  const auto positions = static_cast<uint64_t>(train_.size() - static_cast<int64_t>(window.size()));
  const auto start = planner::splitmix64(planner::splitmix64(seed_) ^ static_cast<uint64_t>(n)) % positions;
  train_.read(static_cast<int64_t>(start), static_cast<int64_t>(window.size()), window.data());
}

void ShardTokenSource::validation_window(int64_t i, int64_t count, std::span<int64_t> window) const {
  const int64_t last = validation_.size() - static_cast<int64_t>(window.size());
  const int64_t stride = std::max<int64_t>(1, last / std::max<int64_t>(1, count));
  validation_.read(std::min(i * stride, last), static_cast<int64_t>(window.size()), window.data());
}

double ShardTokenSource::unigram_entropy_nats() const { return backend::unigram_entropy_nats(train_.token_counts()); }

std::string ShardTokenSource::describe() const {
  return fmt::format("token shards {}", std::filesystem::path(train_.path()).parent_path().string());
}

}  // namespace sprout::backend
