// SPDX-License-Identifier: GPL-3.0-or-later
// Which dataset of a blend each sample comes from: Megatron-LM's greedy
// blending (megatron/core/datasets/helpers.cpp `build_blending_indices`,
// used by blended_dataset.py). Sample i goes to the dataset whose count so far
// lags furthest behind its share, weight x max(i, 1) - count (ties to the
// first); it is that dataset's next sample. No randomness: the same weights
// give the same order, and after n samples every dataset's count is within
// one of weight x n (docs/backend.md "Data").
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sprout::backend {

class BlendIndex {
 public:
  // `weights` > 0 (normalized here); `size` samples (at least 1).
  BlendIndex(std::vector<double> weights, int64_t size);

  // (dataset, its own sample number) of blend sample n; n wraps around size().
  std::pair<int, int64_t> at(int64_t n) const;
  int64_t size() const { return size_; }
  // How many of the size() samples come from `dataset`.
  int64_t samples_of(int dataset) const { return totals_[static_cast<size_t>(dataset)]; }
  const std::vector<double>& weights() const { return weights_; }

 private:
  // Every kStride samples the counts so far are kept; at() replays from the
  // nearest: O(kStride x datasets) per sample, 8 bytes x datasets / kStride
  // of memory per sample.
  static constexpr int64_t kStride = 512;
  int pick(int64_t i, const std::vector<int64_t>& counts) const;

  std::vector<double> weights_;
  int64_t size_;
  std::vector<std::vector<int64_t>> marks_;
  std::vector<int64_t> totals_;
};

}  // namespace sprout::backend
