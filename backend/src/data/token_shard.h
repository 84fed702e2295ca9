// SPDX-License-Identifier: GPL-3.0-or-later
// Token shards: sprout's own training data on disk (docs/formats.md "Token
// shards"), read through mmap.
//
//   offset size  field
//   0      8     magic "SPROUTTK"
//   8      4     version (2; 1 is read too), little-endian uint32
//   12     4     token_bytes: 2 (uint16 tokens) or 4 (uint32 tokens)
//   16     4     vocab: every token is < vocab
//   20     4     version 2: CRC-32 of the file's other bytes (0..20, 24..end);
//                version 1: reserved, 0
//   24     8     count: number of tokens, uint64
//   32     count * token_bytes   the tokens, little-endian
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/mapped_file.h"
#include "data/token_dtype.h"

namespace sprout::backend {

inline constexpr char kShardMagic[8] = {'S', 'P', 'R', 'O', 'U', 'T', 'T', 'K'};
inline constexpr uint32_t kShardVersion = 2;
inline constexpr uint32_t kShardVersionWithoutCrc = 1;
inline constexpr size_t kShardCrcOffset = 20;
inline constexpr size_t kShardHeaderBytes = 32;

class TokenShard {
 public:
  // Maps the file and checks it whole: header, size, every token < vocab
  // (counting them on the way), the CRC-32 (version 2). Throws
  // planner::InputError naming the file and the bad field for a missing file,
  // a wrong magic/version/token width, a size that disagrees with the
  // header's count (truncated), a token >= vocab or a CRC-32 mismatch.
  explicit TokenShard(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t vocab() const { return vocab_; }
  int64_t size() const { return count_; }
  // Tokens [begin, begin + count) as int64 (the caller keeps within size()).
  void read(int64_t begin, int64_t count, int64_t* out) const;
  int64_t token(int64_t i) const;
  // How often each token id < vocab occurs (empty past kMaxCountedVocab).
  const std::vector<int64_t>& token_counts() const { return token_counts_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  uint32_t vocab_ = 0;
  TokenDtype dtype_ = TokenDtype::kUint16;
  int64_t count_ = 0;
  std::vector<int64_t> token_counts_;
};

// Writes atomically; uint16 tokens when vocab <= 65536, else uint32.
void write_token_shard(const std::string& path, const std::vector<uint32_t>& tokens, uint32_t vocab);

}  // namespace sprout::backend
