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

}  // namespace

ModelShape target_shape_for_params(double params, const StageTemplate& t) {
  ModelShape like;
  like.vocab = t.vocab;
  like.seq_len = t.seq_len;
  like.activation = t.activation;
  like.position = t.position;
  like.tied_embeddings = t.tied_embeddings;
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
  const int head_size = target.head_dim();
  std::set<int> head_sizes = {head_size};
  const int step = std::max(1, options.head_size_step);
  for (int d = head_size / step * step; d >= 1; d -= step) {
    if (d < options.min_width_fraction * head_size) break;
    if (d < head_size) head_sizes.insert(d);
  }
  std::vector<ModelShape> out;
  for (int l : depths) {
    for (int d : head_sizes) out.push_back(make_shape(l, d * target.heads, target.heads, target));
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
