// SPDX-License-Identifier: GPL-3.0-or-later
// Where the trainer's token windows come from, behind one interface: a
// sprout token shard pair (shard_source.h), a Megatron-LM GPT dataset
// (megatron_source.h) or a weighted blend of them (blend_source.h). A window
// is seq_len + 1 tokens: the inputs, and one later the targets. Training
// window n depends only on n (and the plan), so the run's data position is
// the count of windows consumed and a resume continues exactly
// (docs/backend.md "Data").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sprout::backend {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // Window n of the training stream (window.size() = seq_len + 1 tokens).
  virtual void training_window(int64_t n, std::span<int64_t> window) const = 0;
  // Window i of the fixed validation set of `count` windows: the same at
  // every evaluation, so that validation losses compare.
  virtual void validation_window(int64_t i, int64_t count, std::span<int64_t> window) const = 0;

  virtual int64_t training_tokens() const = 0;
  virtual int64_t validation_tokens() const = 0;
  // Unigram entropy of the training tokens in nats (of the blend's mixture for a blend).
  virtual double unigram_entropy_nats() const = 0;
  // How often each token id occurs in the training part (what a blend mixes).
  virtual const std::vector<int64_t>& training_token_counts() const = 0;
  // One line for the progress output ("megatron PREFIX (uint16, 2 epochs)").
  virtual std::string describe() const = 0;
};

}  // namespace sprout::backend
