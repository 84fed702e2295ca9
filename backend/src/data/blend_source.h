// SPDX-License-Identifier: GPL-3.0-or-later
// A weighted blend of token sources (`training.data: [{path, weight}, ...]`),
// with Megatron-LM's blending semantics (blend_index.h): training window n
// is window k of dataset d, (d, k) from the greedy index over the run's
// windows; the validation set of `count` windows is blended the same way.
#pragma once

#include <memory>
#include <vector>

#include "data/blend_index.h"
#include "data/token_source.h"

namespace sprout::backend {

class BlendTokenSource : public TokenSource {
 public:
  // `parts[d]` built for index.samples_of(d) training windows.
  BlendTokenSource(BlendIndex index, std::vector<std::unique_ptr<TokenSource>> parts);

  void training_window(int64_t n, std::span<int64_t> window) const override;
  void validation_window(int64_t i, int64_t count, std::span<int64_t> window) const override;
  int64_t training_tokens() const override;
  int64_t validation_tokens() const override;
  // Of the mixture sum_d w_d p_d of the datasets' unigram distributions.
  double unigram_entropy_nats() const override;
  const std::vector<int64_t>& training_token_counts() const override { return none_; }
  std::string describe() const override;

  // (dataset, its window) of training window n.
  std::pair<int, int64_t> source_of(int64_t n) const { return index_.at(n); }

 private:
  BlendIndex index_;
  std::vector<std::unique_ptr<TokenSource>> parts_;
  std::vector<int64_t> none_;
};

}  // namespace sprout::backend
