// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/blend_source.h"

#include <fmt/format.h>

#include <cmath>

namespace sprout::backend {

BlendTokenSource::BlendTokenSource(BlendIndex index, std::vector<std::unique_ptr<TokenSource>> parts)
    : index_(std::move(index)), parts_(std::move(parts)) {}

void BlendTokenSource::training_window(int64_t n, std::span<int64_t> window) const {
  const auto [d, k] = index_.at(n);
  parts_[static_cast<size_t>(d)]->training_window(k, window);
}

void BlendTokenSource::validation_window(int64_t i, int64_t count, std::span<int64_t> window) const {
  // A small index (count windows) built per window: evaluation sets are tens
  // to thousands of windows.
  const BlendIndex v(index_.weights(), count);
  const auto [d, k] = v.at(i);
  parts_[static_cast<size_t>(d)]->validation_window(k, v.samples_of(d), window);
}

int64_t BlendTokenSource::training_tokens() const {
  int64_t n = 0;
  for (const auto& p : parts_) n += p->training_tokens();
  return n;
}

int64_t BlendTokenSource::validation_tokens() const {
  int64_t n = 0;
  for (const auto& p : parts_) n += p->validation_tokens();
  return n;
}

double BlendTokenSource::unigram_entropy_nats() const {
  std::vector<double> mixture;
  for (size_t d = 0; d < parts_.size(); ++d) {
    const std::vector<int64_t>& counts = parts_[d]->training_token_counts();
    double total = 0;
    for (int64_t c : counts) total += static_cast<double>(c);
    if (total == 0) continue;
    if (mixture.size() < counts.size()) mixture.resize(counts.size(), 0.0);
    for (size_t t = 0; t < counts.size(); ++t) {
      mixture[t] += index_.weights()[d] * static_cast<double>(counts[t]) / total;
    }
  }
  double entropy = 0;
  for (double p : mixture) {
    if (p > 0) entropy -= p * std::log(p);
  }
  return entropy;
}

std::string BlendTokenSource::describe() const {
  std::string out = "blend of";
  for (size_t d = 0; d < parts_.size(); ++d) {
    out += fmt::format("{} {:.3g} x {}", d ? "," : "", index_.weights()[d], parts_[d]->describe());
  }
  return out;
}

}  // namespace sprout::backend
