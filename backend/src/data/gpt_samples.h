// SPDX-License-Identifier: GPL-3.0-or-later
// Fixed-length samples across document boundaries, as Megatron-LM's GPT
// dataset draws them (megatron/core/datasets/gpt_dataset.py
// `_build_document_sample_shuffle_indices`, helpers.cpp `build_sample_idx`;
// docs/backend.md "Data"):
//
// - document index: the split's documents (sequences of the indexed dataset),
//   repeated for as many epochs as the samples need, in a shuffled order (the
//   last epoch shuffled on its own when it is used for less than 80%);
// - sample index: where each sample starts (position in the document index,
//   offset in that document); a sample is seq_len + 1 tokens (inputs and, one
//   later, targets: add_extra_token_to_sequence), and the next one starts at
//   its last token;
// - shuffle index: the samples in a shuffled order.
//
// Every index depends only on (documents, seq_len, samples, seed), so every
// rank builds the same ones and sample k is the same after a resume. Our own
// shuffle (Fisher-Yates on SplitMix64), not NumPy's: same semantics, other
// permutations than Megatron-LM's for a seed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "data/indexed_dataset.h"

namespace sprout::backend {

struct GptSampleSpec {
  int64_t first_document = 0, end_document = 0;  // sequences [first, end) of the indexed dataset
  int64_t seq_len = 0;
  int64_t samples = 0;  // at least this many are built (whole epochs)
  uint64_t seed = 0;
};

class GptSamples {
 public:
  // Throws planner::InputError {prefix.idx, "documents", ...} when the
  // documents hold fewer than seq_len + 1 tokens.
  GptSamples(std::shared_ptr<const IndexedDataset> data, const GptSampleSpec& spec);

  int64_t size() const { return static_cast<int64_t>(shuffle_index_.size()); }
  int64_t epochs() const { return epochs_; }
  // Sample k (k wraps around size()): seq_len + 1 tokens into `out`.
  void read(int64_t k, std::span<int64_t> out) const;
  // The document index position and offset where sample s (unshuffled) starts.
  std::pair<int64_t, int64_t> sample_start(int64_t s) const {
    return {sample_index_[2 * static_cast<size_t>(s)], sample_index_[2 * static_cast<size_t>(s) + 1]};
  }

 private:
  void build_document_index();
  void build_sample_index(int64_t tokens_per_epoch);
  void build_shuffle_index();

  std::shared_ptr<const IndexedDataset> data_;
  GptSampleSpec spec_;
  int64_t epochs_ = 1;
  bool separate_final_epoch_ = false;
  int64_t samples_before_final_epoch_ = 0;
  std::vector<int64_t> document_index_;
  std::vector<int64_t> sample_index_;  // (document index position, offset) pairs, samples + 1 of them
  std::vector<int64_t> shuffle_index_;
};

// Fisher-Yates over `values` with a SplitMix64 stream seeded by `seed`.
void shuffle_in_place(std::span<int64_t> values, uint64_t seed);

}  // namespace sprout::backend
