// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/blend_index.h"

#include <algorithm>
#include <numeric>

namespace sprout::backend {

BlendIndex::BlendIndex(std::vector<double> weights, int64_t size) : weights_(std::move(weights)), size_(size) {
  const double sum = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= sum;
  std::vector<int64_t> counts(weights_.size(), 0);
  for (int64_t i = 0; i < size_; ++i) {
    if (i % kStride == 0) marks_.push_back(counts);
    counts[static_cast<size_t>(pick(i, counts))] += 1;
  }
  totals_ = counts;
}

int BlendIndex::pick(int64_t i, const std::vector<int64_t>& counts) const {
  const double at = std::max(static_cast<double>(i), 1.0);
  int best = 0;
  double best_error = weights_[0] * at - static_cast<double>(counts[0]);
  for (size_t d = 1; d < weights_.size(); ++d) {
    const double error = weights_[d] * at - static_cast<double>(counts[d]);
    if (error > best_error) {
      best_error = error;
      best = static_cast<int>(d);
    }
  }
  return best;
}

std::pair<int, int64_t> BlendIndex::at(int64_t n) const {
  n %= size_;
  std::vector<int64_t> counts = marks_[static_cast<size_t>(n / kStride)];
  for (int64_t i = n / kStride * kStride; i < n; ++i) counts[static_cast<size_t>(pick(i, counts))] += 1;
  const int d = pick(n, counts);
  return {d, counts[static_cast<size_t>(d)]};
}

}  // namespace sprout::backend
