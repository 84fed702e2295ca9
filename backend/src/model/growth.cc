// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/growth.h"

#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "model/growth_init.h"
#include "sprout/planner/model/growth.h"

namespace sprout::backend {

using planner::ModelShape;

double GrowthRamp::mask_value() const {
  if (grow_steps <= 0 || steps_done >= grow_steps) return 1.0;
  return static_cast<double>(steps_done) / static_cast<double>(grow_steps);
}

namespace {

// c_i = 1 for the `old` leading units, m for the rest.
torch::Tensor leading_ones(int64_t old_size, int64_t new_size, double m, torch::Device device) {
  auto c = torch::full({new_size}, m, torch::kFloat32);
  c.slice(0, 0, old_size).fill_(1.0);
  return c.to(device);
}

// [groups, dim] mask: 1 where both the group (head) and the dim are old.
torch::Tensor head_mask(int64_t old_groups, int64_t new_groups, int64_t old_dim, int64_t new_dim, double m,
                        torch::Device device) {
  auto c = torch::full({new_groups, new_dim}, m, torch::kFloat32);
  c.slice(0, 0, old_groups).slice(1, 0, old_dim).fill_(1.0);
  return c.reshape({new_groups * new_dim}).to(device);
}

}  // namespace

GrowthMasks make_growth_masks(const GrowthRamp& r, torch::Device device) {
  GrowthMasks g;
  const double m = r.mask_value();
  g.value = m;
  g.new_layer = r.new_layer;
  const ModelShape& a = r.from;
  const ModelShape& b = r.to;
  if (b.hidden > a.hidden) g.hidden = leading_ones(a.hidden, b.hidden, m, device);
  if (b.ffn_hidden > a.ffn_hidden) g.ffn = leading_ones(a.ffn_hidden, b.ffn_hidden, m, device);
  if (b.heads > a.heads || b.head_dim() > a.head_dim()) {
    g.q = head_mask(a.heads, b.heads, a.head_dim(), b.head_dim(), m, device);
    g.kv = head_mask(a.kv_heads, b.kv_heads, a.head_dim(), b.head_dim(), m, device);
  }
  // The masked head size, as LayerNorm's masked statistics use sum(c): at
  // m = 0 the old scale, at m = 1 the new one, no jump at either end.
  g.attention_scale = 1.0 / std::sqrt(a.head_dim() + m * (b.head_dim() - a.head_dim()));
  return g;
}

std::vector<int> depth_growth_sources(int old_layers, int new_layers) {
  const int added = new_layers - old_layers;
  std::vector<int> out;
  // New block k goes after old block floor((k+1) l / n) - 1 (-1: before the first).
  auto slot = [&](int k) { return static_cast<int>((static_cast<long long>(k + 1) * old_layers) / added) - 1; };
  int k = 0;
  while (k < added && slot(k) < 0) {
    out.push_back(-1);
    ++k;
  }
  for (int i = 0; i < old_layers; ++i) {
    out.push_back(i);
    while (k < added && slot(k) == i) {
      out.push_back(-1);
      ++k;
    }
  }
  return out;
}

void copy_leading_block(const torch::Tensor& old, const std::vector<int64_t>& old_logical, torch::Tensor& target,
                        const std::vector<int64_t>& new_logical) {
  torch::NoGradGuard no_grad;
  torch::Tensor view = target.view(new_logical);
  for (size_t d = 0; d < old_logical.size(); ++d) view = view.slice(static_cast<int64_t>(d), 0, old_logical[d]);
  view.copy_(old.reshape(old_logical));
}

bool same_shape(const ModelShape& a, const ModelShape& b) {
  return a.layers == b.layers && a.hidden == b.hidden && a.heads == b.heads && a.kv_heads == b.kv_heads &&
         a.ffn_hidden == b.ffn_hidden && a.vocab == b.vocab && a.seq_len == b.seq_len && a.activation == b.activation &&
         a.position == b.position && a.tied_embeddings == b.tied_embeddings && a.norm == b.norm;
}

void check_growth(const ModelShape& from, const ModelShape& to) {
  planner::GrowthCheck check = planner::infer_growth(from, to);
  if (check.problem) throw std::invalid_argument(check.problem_field + " " + *check.problem);
  if (auto problem = planner::head_size_growth_problem(from, to)) throw std::invalid_argument("hidden " + *problem);
  if (from.head_dim() > to.head_dim()) throw std::invalid_argument("head size shrinks");
  if (from.tied_embeddings != to.tied_embeddings) throw std::invalid_argument("tied_embeddings changes");
}

GrowthRamp make_growth_ramp(const ModelShape& from, const ModelShape& to, long long grow_steps) {
  GrowthRamp ramp;
  ramp.from = from;
  ramp.to = to;
  ramp.grow_steps = grow_steps;
  for (int s : depth_growth_sources(from.layers, to.layers)) ramp.new_layer.push_back(s < 0);
  return ramp;
}

std::vector<std::optional<size_t>> growth_sources(const ModelShape& from, const ModelShape& to) {
  std::unordered_map<std::string, size_t> old_index;
  const auto old_specs = gpt_parameter_specs(from);
  for (size_t i = 0; i < old_specs.size(); ++i) old_index.emplace(old_specs[i].name, i);
  const auto layer_source = depth_growth_sources(from.layers, to.layers);
  std::vector<std::optional<size_t>> out;
  for (const auto& spec : gpt_parameter_specs(to)) {
    std::optional<size_t> source;
    if (spec.layer < 0) {
      source = old_index.at(spec.name);
    } else if (layer_source[spec.layer] >= 0) {
      source = old_index.at(rename_layer(spec.name, layer_source[spec.layer]));
    }
    out.push_back(source);
  }
  return out;
}

GrownModel grow_gpt(const GptModel& old, const GptSettings& settings, long long grow_steps, uint64_t seed) {
  const ModelShape& from = old.shape();
  const ModelShape& to = settings.shape;
  check_growth(from, to);
  auto specs = gpt_parameter_specs(to);
  auto sources = growth_sources(from, to);
  std::vector<torch::Tensor> tensors;
  const torch::Device device = old.parameters().front().device();
  for (size_t i = 0; i < specs.size(); ++i) {
    torch::Tensor t = grown_parameter_init(specs[i], i, settings, seed).to(device);
    if (const auto& source = sources[i]) {
      copy_leading_block(old.parameters()[*source], logical_sizes(old.specs()[*source], from), t,
                         logical_sizes(specs[i], to));
    }
    tensors.push_back(t.set_requires_grad(true));
  }
  return {GptModel(settings, std::move(specs), std::move(tensors)), make_growth_ramp(from, to, grow_steps),
          std::move(sources)};
}

AdamWState grow_adamw_state(const AdamWState& old, const GptModel& old_model, const GrownModel& grown) {
  AdamWState out;
  out.step = old.step;  // MSG keeps the step count (bias correction continues)
  const GptModel& m = grown.model;
  for (size_t i = 0; i < m.size(); ++i) {
    const auto& p = m.parameters()[i];
    const auto& src = grown.sources[i];
    if (src && !old.moments[*src].exp_avg.defined()) {  // held by another rank (ZeRO-1): it grows them there
      out.moments.emplace_back();
      continue;
    }
    AdamWMoments moments{torch::zeros_like(p).detach(), torch::zeros_like(p).detach()};
    if (src) {
      const auto old_logical = logical_sizes(old_model.specs()[*src], old_model.shape());
      const auto new_logical = logical_sizes(m.specs()[i], m.shape());
      copy_leading_block(old.moments[*src].exp_avg, old_logical, moments.exp_avg, new_logical);
      copy_leading_block(old.moments[*src].exp_avg_sq, old_logical, moments.exp_avg_sq, new_logical);
    }
    out.moments.push_back(std::move(moments));
  }
  return out;
}

}  // namespace sprout::backend
