// SPDX-License-Identifier: GPL-3.0-or-later
// Token shards: the training data on disk (docs/formats.md "Token shards").
//
//   offset size  field
//   0      8     magic "SPROUTTK"
//   8      4     version (1), little-endian uint32
//   12     4     token_bytes: 2 (uint16 tokens) or 4 (uint32 tokens)
//   16     4     vocab: every token is < vocab
//   20     4     reserved, 0
//   24     8     count: number of tokens, uint64
//   32     count * token_bytes   the tokens, little-endian
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sprout::backend {

inline constexpr char kShardMagic[8] = {'S', 'P', 'R', 'O', 'U', 'T', 'T', 'K'};
inline constexpr uint32_t kShardVersion = 1;
inline constexpr size_t kShardHeaderBytes = 32;

struct TokenShard {
  std::string path;
  uint32_t vocab = 0;
  torch::Tensor tokens;  // 1-D int32 on the CPU
  int64_t size() const { return tokens.numel(); }
};

// Writes atomically; uint16 tokens when vocab <= 65536, else uint32.
void write_token_shard(const std::string& path, const std::vector<uint32_t>& tokens, uint32_t vocab);

// Throws planner::InputError naming the file and the bad field for a missing
// file, a wrong magic/version/token width, a size that disagrees with the
// header's count (truncated), or a token >= vocab.
TokenShard read_token_shard(const std::string& path);

// Unigram (zeroth-order) entropy of the tokens in nats: -sum p log p. A
// model whose loss falls below it has learned more than symbol frequencies.
double unigram_entropy_nats(const TokenShard& shard);

}  // namespace sprout::backend
