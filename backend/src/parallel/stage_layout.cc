// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/stage_layout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace sprout::backend {

int StageLayout::layers() const { return std::accumulate(chunk_layers.begin(), chunk_layers.end(), 0); }

std::string StageLayout::group_key() const { return fmt::format("tp{}-pp{}-dp{}", tp, pp, dp); }

std::string StageLayout::describe() const {
  std::string s = fmt::format("TP{}{} PP{} DP{}", tp, sequence_parallel && tp > 1 ? " SP" : "", pp, dp);
  if (interleave > 1) s += fmt::format(" v{}", interleave);
  if (pp > 1) s += fmt::format(" (layers {})", fmt::join(chunk_layers, "+"));
  return s;
}

bool StageLayout::operator==(const StageLayout& o) const {
  return tp == o.tp && pp == o.pp && dp == o.dp && interleave == o.interleave &&
         sequence_parallel == o.sequence_parallel && chunk_layers == o.chunk_layers;
}

RankPosition position_of(const StageLayout& l, int r) {
  if (r < 0 || r >= l.world_size()) throw std::invalid_argument(fmt::format("rank {} is outside {}", r, l.describe()));
  return {r % l.tp, (r / l.tp) % l.pp, r / (l.tp * l.pp)};
}

int world_rank_of(const StageLayout& l, const RankPosition& p) { return p.tp + l.tp * (p.pp + l.pp * p.dp); }

namespace {

// The world ranks that differ from `r` only along one axis of the grid.
std::vector<int> members_along(const StageLayout& l, int r, int RankPosition::*axis, int size) {
  RankPosition p = position_of(l, r);
  std::vector<int> out;
  for (p.*axis = 0; p.*axis < size; ++(p.*axis)) out.push_back(world_rank_of(l, p));
  return out;
}

}  // namespace

std::vector<int> tensor_parallel_members(const StageLayout& l, int r) {
  return members_along(l, r, &RankPosition::tp, l.tp);
}

std::vector<int> pipeline_members(const StageLayout& l, int r) { return members_along(l, r, &RankPosition::pp, l.pp); }

std::vector<int> data_parallel_members(const StageLayout& l, int r) {
  return members_along(l, r, &RankPosition::dp, l.dp);
}

std::vector<int> embedding_members(const StageLayout& l, int r) {
  const RankPosition p = position_of(l, r);
  if (l.pp == 1 || (p.pp != 0 && p.pp != l.pp - 1)) return {};
  RankPosition first = p, last = p;
  first.pp = 0;
  last.pp = l.pp - 1;
  return {world_rank_of(l, first), world_rank_of(l, last)};
}

LayerRange layers_of_virtual_stage(const StageLayout& l, int vs) {
  const int begin = std::accumulate(l.chunk_layers.begin(), l.chunk_layers.begin() + vs, 0);
  return {begin, begin + l.chunk_layers[static_cast<size_t>(vs)]};
}

std::vector<int> balanced_chunk_layers(const planner::ModelShape& shape, int chunks) {
  const int layers = shape.layers;
  if (chunks < 1 || layers < chunks) {
    throw std::invalid_argument(fmt::format("{} layers cannot be split into {} pipeline chunks", layers, chunks));
  }
  const double head = planner::logit_forward_flops_per_token(shape) / planner::layer_forward_flops_per_token(shape);
  const double even = static_cast<double>(layers) / chunks;
  // best[c][n]: (most expensive chunk, squared distance from the even split)
  // of the first c chunks holding the first n layers; lexicographic minimum.
  using Score = std::pair<double, double>;
  const Score worst{std::numeric_limits<double>::infinity(), 0};
  std::vector<std::vector<Score>> best(static_cast<size_t>(chunks) + 1, std::vector<Score>(layers + 1, worst));
  std::vector<std::vector<int>> take(static_cast<size_t>(chunks) + 1, std::vector<int>(layers + 1, 0));
  best[0][0] = {0, 0};
  for (int c = 1; c <= chunks; ++c) {
    for (int n = c; n <= layers - (chunks - c); ++n) {
      for (int k = 1; k <= n - (c - 1); ++k) {
        const Score& before = best[c - 1][n - k];
        if (std::isinf(before.first)) continue;
        const double cost = k + (c == chunks ? head : 0.0);
        // Costs within a part in a billion are equal (FLOP ratios are not exact).
        const Score s{std::max(before.first, cost), before.second + (k - even) * (k - even)};
        const Score& b = best[c][n];
        const bool better = s.first < b.first * (1 - 1e-9) || (s.first <= b.first * (1 + 1e-9) && s.second < b.second);
        if (std::isinf(b.first) || better) {
          best[c][n] = s;
          take[c][n] = k;
        }
      }
    }
  }
  std::vector<int> out(static_cast<size_t>(chunks));
  for (int c = chunks, n = layers; c > 0; --c) {
    out[static_cast<size_t>(c - 1)] = take[c][n];
    n -= take[c][n];
  }
  return out;
}

StageLayout layout_for_stage(const planner::Stage& stage, int world_size) {
  StageLayout l;
  if (stage.parallel) {
    l.tp = stage.parallel->tp;
    l.pp = stage.parallel->pp;
    l.dp = stage.parallel->dp;
    l.interleave = stage.parallel->interleave;
    l.sequence_parallel = stage.parallel->sequence_parallel && l.tp > 1;
  } else {
    l.dp = world_size;
  }
  // The plan's own split (pp_layers, first/last_stage_layers: the planner
  // checked it sums to the layers, one entry per stage, no interleaving) is
  // run as written; otherwise the cheapest split of the layers.
  if (stage.parallel && !stage.parallel->stage_layers.empty()) {
    l.chunk_layers = stage.parallel->stage_layers;
  } else {
    l.chunk_layers = balanced_chunk_layers(stage.shape, l.virtual_stages());
  }
  return l;
}

RankShare::RankShare(StageLayout layout, int world_rank)
    : layout_(std::move(layout)), world_rank_(world_rank), position_(position_of(layout_, world_rank)) {
  for (int c = 0; c < layout_.interleave; ++c) virtual_stages_.push_back(c * layout_.pp + position_.pp);
}

bool RankShare::holds_layer(int layer) const {
  for (int vs : virtual_stages_) {
    const LayerRange r = layers_of_virtual_stage(layout_, vs);
    if (layer >= r.begin && layer < r.end) return true;
  }
  return false;
}

bool RankShare::holds_embedding() const { return virtual_stages_.front() == 0; }

bool RankShare::holds_head() const { return virtual_stages_.back() == layout_.virtual_stages() - 1; }

bool RankShare::holds(const ParameterSpec& spec, const planner::ModelShape& shape) const {
  if (spec.layer >= 0) return holds_layer(spec.layer);
  if (spec.name == "wte") return holds_embedding() || (shape.tied_embeddings && holds_head());
  if (spec.name == "wpe") return holds_embedding();
  return holds_head();  // ln_f.*, lm_head
}

bool RankShare::holds_tied_copy(const ParameterSpec& spec, const planner::ModelShape& shape) const {
  return spec.name == "wte" && shape.tied_embeddings && holds_head() && !holds_embedding();
}

}  // namespace sprout::backend
