// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/growth.h"

#include <fmt/format.h>

#include <algorithm>

namespace sprout::planner {

GrowthCheck infer_growth(const ModelShape& a, const ModelShape& b) {
  GrowthCheck out;
  auto shrink = [&](const char* field, long long from, long long to) {
    if (to < from && !out.problem) {
      out.problem = fmt::format("shrinks from {} to {}: growth operators only add units", from, to);
      out.problem_field = field;
    }
  };
  shrink("layers", a.layers, b.layers);
  shrink("hidden", a.hidden, b.hidden);
  shrink("heads", a.heads, b.heads);
  shrink("kv_heads", a.kv_heads, b.kv_heads);
  shrink("ffn_hidden", a.ffn_hidden, b.ffn_hidden);
  auto fixed = [&](const char* field, const std::string& from, const std::string& to) {
    if (from != to && !out.problem) {
      out.problem = fmt::format("changes from {} to {}: growth keeps it fixed", from, to);
      out.problem_field = field;
    }
  };
  fixed("vocab", std::to_string(a.vocab), std::to_string(b.vocab));
  fixed("seq_len", std::to_string(a.seq_len), std::to_string(b.seq_len));
  fixed("activation", to_string(a.activation), to_string(b.activation));
  fixed("position_embedding", to_string(a.position), to_string(b.position));
  fixed("norm", to_string(a.norm), to_string(b.norm));
  // A head keeps its query group under MSG head growth: heads per KV group
  // may not change, or old heads would attend with other keys.
  if (!out.problem && a.heads / a.kv_heads != b.heads / b.kv_heads) {
    out.problem = fmt::format("heads/kv_heads changes from {} to {}: GQA grouping must stay", a.heads / a.kv_heads,
                              b.heads / b.kv_heads);
    out.problem_field = "kv_heads";
  }
  if (!out.problem) {
    if (auto problem = head_size_growth_problem(a, b)) {
      out.problem = *problem;
      out.problem_field = "hidden";
    }
  }
  out.kind.width = b.hidden > a.hidden || b.ffn_hidden > a.ffn_hidden || b.heads > a.heads;
  out.kind.depth = b.layers > a.layers;
  return out;
}

std::optional<std::string> head_size_growth_problem(const ModelShape& a, const ModelShape& b) {
  // Rotary and xPos turn pair i of a head by n theta_i, theta_i =
  // 10000^(-2i/d), and xPos scales it by zeta_i = (2i + 0.4 d) / (1.4 d):
  // another head size d gives every old pair another frequency and scale,
  // which no copy of the old weights undoes (docs/formulas.md "Growth").
  // New heads of the old size are function-preserving.
  if (!rotates_queries_and_keys(b.position) || a.head_dim() == b.head_dim()) return std::nullopt;
  return fmt::format(
      "changes the head size hidden/heads from {} to {}, but {} turns pair i by theta_i = 10000^(-2i/d) of the "
      "head size d: grow the heads instead (keep hidden/heads = {})",
      a.head_dim(), b.head_dim(), to_string(b.position), a.head_dim());
}

std::string describe(const GrowthKind& k) {
  if (k.width && k.depth) return "width+depth";
  if (k.width) return "width";
  if (k.depth) return "depth";
  return "none";
}

double checkpoint_bytes(const ModelShape& shape) {
  // bf16 weights 2 + fp32 master 4 + Adam m 4 + v 4 (gradients are not saved).
  return 14.0 * parameter_count(shape);
}

double checkpoint_write_seconds(const ModelShape& shape, int gpus, const HardwareProfile& hw) {
  const double nodes = std::max(1.0, static_cast<double>(gpus) / std::max(1, hw.gpus_per_node));
  const double bandwidth = std::max(1e-9, hw.checkpoint_write_gb_per_s) * 1e9 * nodes;
  return checkpoint_bytes(shape) / bandwidth;
}

double growth_transition_seconds(const ModelShape& from, const ModelShape& to, int gpus, const HardwareProfile& hw,
                                 bool relaunch) {
  const double save_old = checkpoint_write_seconds(from, gpus, hw);
  if (!relaunch) return save_old;
  return save_old + checkpoint_write_seconds(to, gpus, hw) +  // the grown model is written and re-read
         hw.restart_overhead_s;
}

}  // namespace sprout::planner
