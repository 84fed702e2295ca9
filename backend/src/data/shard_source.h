// SPDX-License-Identifier: GPL-3.0-or-later
// Training windows from a pair of sprout token shards (train.bin, val.bin):
// training window n starts at position splitmix64(splitmix64(seed) xor n)
// mod (tokens - seq_len - 1) of train.bin, a counter-based hash, so any
// window is found without state; validation window i of count starts at i x
// stride, spread evenly over val.bin.
#pragma once

#include "data/token_shard.h"
#include "data/token_source.h"

namespace sprout::backend {

class ShardTokenSource : public TokenSource {
 public:
  // Throws planner::InputError {shard, "count", ...} when a shard holds no
  // full window of seq_len + 1 tokens (and one position to choose).
  ShardTokenSource(TokenShard train, TokenShard validation, uint64_t seed, int64_t seq_len);

  void training_window(int64_t n, std::span<int64_t> window) const override;
  void validation_window(int64_t i, int64_t count, std::span<int64_t> window) const override;
  int64_t training_tokens() const override { return train_.size(); }
  int64_t validation_tokens() const override { return validation_.size(); }
  double unigram_entropy_nats() const override;
  const std::vector<int64_t>& training_token_counts() const override { return train_.token_counts(); }
  std::string describe() const override;

 private:
  TokenShard train_, validation_;
  uint64_t seed_;
};

}  // namespace sprout::backend
