// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a Megatron-LM indexed dataset (indexed_dataset.h), one sequence per
// document, as Megatron-LM's tools/preprocess_data.py does with its default
// (no sentence splitting): PREFIX.bin streamed to a temporary file, PREFIX.idx
// at the end, both published atomically.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "data/token_dtype.h"

namespace sprout::backend {

// The dtype Megatron-LM's preprocess_data.py picks for a vocabulary
// (DType.optimal_dtype): uint16 below 65500 tokens, else int32.
TokenDtype megatron_dtype_for_vocab(int64_t vocab);

class IndexedDatasetWriter {
 public:
  // Throws std::runtime_error when PREFIX.bin's temporary file cannot be created.
  IndexedDatasetWriter(std::string prefix, TokenDtype dtype);
  ~IndexedDatasetWriter();  // without finish(): the temporary file is removed
  IndexedDatasetWriter(const IndexedDatasetWriter&) = delete;
  IndexedDatasetWriter& operator=(const IndexedDatasetWriter&) = delete;

  void add_document(std::span<const uint32_t> tokens);
  // Publishes PREFIX.bin, then PREFIX.idx (fsynced, renamed into place).
  void finish();
  int64_t tokens() const { return tokens_; }
  int64_t documents() const { return static_cast<int64_t>(lengths_.size()); }

 private:
  std::string prefix_, bin_tmp_;
  TokenDtype dtype_;
  std::FILE* bin_ = nullptr;
  std::vector<int32_t> lengths_;
  int64_t tokens_ = 0;
};

}  // namespace sprout::backend
