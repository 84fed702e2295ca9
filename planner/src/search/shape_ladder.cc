// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/shape_ladder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace sprout::planner {
namespace {

constexpr int kHeadSize = 128;
constexpr int kHiddenPerLayer = 128;
constexpr int kLayerMultiple = 4;

ModelShape make_shape(int layers, int hidden, int heads, const ModelShape& like) {
  ModelShape s = like;
  s.layers = layers;
  s.hidden = hidden;
  s.heads = heads;
  s.kv_heads = heads;
  s.ffn_hidden = default_ffn_hidden(hidden, like.activation);
  return s;
}

// `full` and the multiples of `step` below it down to `min_fraction` of it.
std::set<int> smaller_steps(int full, int step, double min_fraction) {
  std::set<int> out = {full};
  step = std::max(1, step);
  for (int n = full / step * step; n >= 1 && n >= min_fraction * full; n -= step) out.insert(n);
  return out;
}

}  // namespace

ModelShape target_shape_for_params(double params, const StageTemplate& t) {
  ModelShape like;
  like.vocab = t.vocab;
  like.seq_len = t.seq_len;
  like.activation = t.activation;
  like.position = t.position;
  like.tied_embeddings = t.tied_embeddings;
  like.norm = t.norm;
  ModelShape best;
  double best_gap = INFINITY;
  for (int layers = kLayerMultiple; layers <= 1024; layers += kLayerMultiple) {
    ModelShape s = make_shape(layers, kHiddenPerLayer * layers, kHiddenPerLayer * layers / kHeadSize, like);
    const double gap = std::abs(std::log(parameter_count(s) / params));
    if (gap < best_gap) {
      best_gap = gap;
      best = s;
    }
  }
  return best;
}

std::vector<ModelShape> growth_ladder(const ModelShape& target, const LadderOptions& options) {
  std::set<int> depths;
  for (double f : options.depth_fractions) {
    const int l = static_cast<int>(std::lround(f * target.layers));
    if (l >= 1 && l <= target.layers) depths.insert(l);
  }
  depths.insert(target.layers);
  // Widths: learned positions keep the head count and shrink the head size;
  // rotary/xPos keep the head size (their frequencies depend on it, so MSG
  // can only add heads: growth.h) and shrink the head count.
  const bool fixed_head_size = rotates_queries_and_keys(target.position);
  std::vector<std::pair<int, int>> widths;  // (heads, head size)
  if (fixed_head_size) {
    for (int a : smaller_steps(target.heads, options.head_count_step, options.min_width_fraction)) {
      widths.emplace_back(a, target.head_dim());
    }
  } else {
    for (int d : smaller_steps(target.head_dim(), options.head_size_step, options.min_width_fraction)) {
      widths.emplace_back(target.heads, d);
    }
  }
  std::vector<ModelShape> out;
  for (int l : depths) {
    for (const auto& [heads, head_size] : widths) out.push_back(make_shape(l, head_size * heads, heads, target));
  }
  // Keep the target's own FFN width (it may not be the default).
  for (ModelShape& s : out) {
    if (s.hidden == target.hidden) s.ffn_hidden = target.ffn_hidden;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ModelShape& a, const ModelShape& b) { return parameter_count(a) < parameter_count(b); });
  return out;
}

std::string shape_label(const ModelShape& s) { return fmt::format("{}x{}", s.layers, s.hidden); }

}  // namespace sprout::planner
