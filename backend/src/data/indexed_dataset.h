// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM's indexed dataset (MMIDIDX, megatron/core/datasets/
// indexed_dataset.py; docs/formats.md "Megatron-LM indexed datasets"): PREFIX.bin
// holds the tokens of every sequence back to back, PREFIX.idx says where each
// starts. Both are read through mmap; nothing is loaded whole.
//
// PREFIX.idx, little-endian:
//   9 bytes  magic "MMIDIDX\0\0"
//   uint64   version, 1
//   uint8    dtype code of the tokens (1..8, token_dtype.h)
//   uint64   sequence count n
//   uint64   document count d (entries of document_indices)
//   int32[n] sequence lengths (tokens)
//   int64[n] sequence pointers (byte offsets into PREFIX.bin)
//   int64[d] document indices: the sequence index where each document starts,
//            0 first and n last (so d - 1 documents)
//   int8[n]  sequence modes (multimodal datasets only; read past, unused)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/mapped_file.h"
#include "data/token_dtype.h"

namespace sprout::backend {

inline constexpr char kMegatronIndexMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr uint64_t kMegatronIndexVersion = 1;
inline constexpr size_t kMegatronIndexHeaderBytes = 34;  // 9 + 8 + 1 + 8 + 8

class IndexedDataset {
 public:
  // Maps PREFIX.idx and PREFIX.bin and checks the index: magic, version,
  // dtype, a size that fits the counts, document indices, and every
  // sequence inside PREFIX.bin. Throws planner::InputError naming the file
  // and the field. The tokens themselves are checked by scan_tokens.
  explicit IndexedDataset(const std::string& prefix);

  const std::string& prefix() const { return prefix_; }
  TokenDtype dtype() const { return dtype_; }
  int64_t sequence_count() const { return sequences_; }
  int64_t document_count() const { return documents_ - 1; }
  int64_t sequence_length(int64_t i) const {
    return idx_.load<int32_t>(kMegatronIndexHeaderBytes + 4 * static_cast<size_t>(i));
  }
  int64_t sequence_pointer(int64_t i) const { return idx_.load<int64_t>(lengths_end() + 8 * static_cast<size_t>(i)); }
  // Tokens [offset, offset + count) of sequence `sequence` as int64.
  void read(int64_t sequence, int64_t offset, int64_t count, int64_t* out) const;
  // Checks every token of sequences [begin, end) is in [0, vocab) and, when
  // `counts` is given, counts them (scan_tokens).
  void scan_tokens(int64_t begin, int64_t end, int64_t vocab, std::vector<int64_t>* counts) const;
  // Tokens in sequences [begin, end).
  int64_t tokens_in(int64_t begin, int64_t end) const;

 private:
  size_t lengths_end() const { return kMegatronIndexHeaderBytes + 4 * static_cast<size_t>(sequences_); }
  void check_header();
  void check_documents() const;
  void check_sequences() const;

  std::string prefix_;
  MappedFile idx_, bin_;
  TokenDtype dtype_ = TokenDtype::kUint16;
  int64_t sequences_ = 0, documents_ = 0;
};

// The files of a prefix.
inline std::string megatron_index_path(const std::string& prefix) { return prefix + ".idx"; }
inline std::string megatron_data_path(const std::string& prefix) { return prefix + ".bin"; }

}  // namespace sprout::backend
