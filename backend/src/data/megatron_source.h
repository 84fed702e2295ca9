// SPDX-License-Identifier: GPL-3.0-or-later
// Training windows from a Megatron-LM indexed dataset: its documents split
// into train / validation / test by the plan's data_split (Megatron-LM's
// --split, by sequence index as its GPT dataset splits), and each part
// sampled into fixed-length windows across document boundaries by a GPT
// sample index (gpt_samples.h).
#pragma once

#include <memory>
#include <vector>

#include "data/gpt_samples.h"
#include "data/indexed_dataset.h"
#include "data/token_source.h"

namespace sprout::backend {

struct MegatronSourceSpec {
  std::vector<double> split;  // train, validation, test weights (normalized here)
  int64_t seq_len = 0;
  int64_t training_samples = 0;    // the run's training windows (whole epochs are built)
  int64_t validation_samples = 0;  // the largest validation set asked for
  uint64_t seed = 0;
  int64_t vocab = 0;  // every token must be below it
};

// Megatron-LM's split of n documents: part k is [round(c_k n), round(c_{k+1} n))
// for the cumulative normalized weights c (Python's round: half to even).
std::vector<int64_t> split_bookends(const std::vector<double>& weights, int64_t documents);

class MegatronTokenSource : public TokenSource {
 public:
  // Checks every token of the dataset (< vocab) and builds both parts' sample
  // indices. Throws planner::InputError naming the file and the field.
  MegatronTokenSource(std::shared_ptr<const IndexedDataset> data, const MegatronSourceSpec& spec);

  void training_window(int64_t n, std::span<int64_t> window) const override { train_.read(n, window); }
  void validation_window(int64_t i, int64_t, std::span<int64_t> window) const override { validation_.read(i, window); }
  int64_t training_tokens() const override;
  int64_t validation_tokens() const override;
  double unigram_entropy_nats() const override;
  const std::vector<int64_t>& training_token_counts() const override { return counts_; }
  std::string describe() const override;

 private:
  std::shared_ptr<const IndexedDataset> data_;
  std::vector<int64_t> bookends_;  // split_bookends: train, validation, test sequences
  std::vector<int64_t> counts_;
  GptSamples train_, validation_;
};

}  // namespace sprout::backend
