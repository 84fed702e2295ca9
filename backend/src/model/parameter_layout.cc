// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/parameter_layout.h"

#include <fmt/format.h>

#include <stdexcept>

namespace sprout::backend {

using planner::Activation;
using planner::ModelShape;

int64_t axis_size(Axis axis, const ModelShape& s) {
  switch (axis) {
    case Axis::kVocab:
      return s.vocab;
    case Axis::kPosition:
      return s.seq_len;
    case Axis::kHidden:
      return s.hidden;
    case Axis::kHeads:
      return s.heads;
    case Axis::kKvHeads:
      return s.kv_heads;
    case Axis::kHeadDim:
      return s.head_dim();
    case Axis::kFfn:
      return s.ffn_hidden;
  }
  throw std::invalid_argument("unknown axis");
}

std::vector<int64_t> storage_sizes(const ParameterSpec& spec, const ModelShape& s) {
  return storage_of(spec.axes, logical_sizes(spec, s));
}

std::vector<int64_t> logical_sizes(const ParameterSpec& spec, const ModelShape& s) {
  std::vector<int64_t> out;
  for (const auto& group : spec.axes) {
    for (Axis a : group) out.push_back(axis_size(a, s));
  }
  return out;
}

std::vector<ParameterSpec> block_parameter_specs(const ModelShape& s, int layer) {
  const std::string p = fmt::format("h.{}.", layer);
  const std::vector<Axis> hidden = {Axis::kHidden};
  const std::vector<Axis> q_rows = {Axis::kHeads, Axis::kHeadDim};
  const std::vector<Axis> kv_rows = {Axis::kKvHeads, Axis::kHeadDim};
  const std::vector<Axis> ffn = {Axis::kFfn};
  // GPT-style GELU blocks carry biases; Llama-style SwiGLU blocks do not
  // (the same convention as planner::parameter_count).
  const bool biases = s.activation == Activation::kGelu;
  std::vector<ParameterSpec> out;
  auto matrix = [&](const std::string& n, std::vector<Axis> rows, std::vector<Axis> cols, Init init) {
    out.push_back({p + n, {std::move(rows), std::move(cols)}, init, true, layer});
  };
  auto vector = [&](const std::string& n, std::vector<Axis> axes, Init init) {
    out.push_back({p + n, {std::move(axes)}, init, false, layer});
  };
  // A LayerNorm has a gain and a bias, an RMSNorm a gain only.
  const bool norm_biases = s.norm == planner::Norm::kLayerNorm;
  vector("ln1.weight", hidden, Init::kOnes);
  if (norm_biases) vector("ln1.bias", hidden, Init::kZeros);
  matrix("attn.wq", q_rows, hidden, Init::kNormal);
  matrix("attn.wk", kv_rows, hidden, Init::kNormal);
  matrix("attn.wv", kv_rows, hidden, Init::kNormal);
  matrix("attn.wo", hidden, q_rows, Init::kNormalResidual);
  if (biases) {
    vector("attn.bq", q_rows, Init::kZeros);
    vector("attn.bk", kv_rows, Init::kZeros);
    vector("attn.bv", kv_rows, Init::kZeros);
    vector("attn.bo", hidden, Init::kZeros);
  }
  vector("ln2.weight", hidden, Init::kOnes);
  if (norm_biases) vector("ln2.bias", hidden, Init::kZeros);
  if (s.activation == Activation::kGelu) {
    matrix("mlp.w1", ffn, hidden, Init::kNormal);
    vector("mlp.b1", ffn, Init::kZeros);
    matrix("mlp.w2", hidden, ffn, Init::kNormalResidual);
    vector("mlp.b2", hidden, Init::kZeros);
  } else {
    matrix("mlp.w_gate", ffn, hidden, Init::kNormal);
    matrix("mlp.w_up", ffn, hidden, Init::kNormal);
    matrix("mlp.w_down", hidden, ffn, Init::kNormalResidual);
  }
  return out;
}

std::vector<ParameterSpec> gpt_parameter_specs(const ModelShape& s) {
  std::vector<ParameterSpec> out;
  out.push_back({"wte", {{Axis::kVocab}, {Axis::kHidden}}, Init::kNormal, true, -1});
  // Rotary and xPos have no parameters: no position table.
  if (s.position == planner::PositionEmbedding::kLearned) {
    out.push_back({"wpe", {{Axis::kPosition}, {Axis::kHidden}}, Init::kNormal, true, -1});
  }
  for (int l = 0; l < s.layers; ++l) {
    auto block = block_parameter_specs(s, l);
    out.insert(out.end(), block.begin(), block.end());
  }
  out.push_back({"ln_f.weight", {{Axis::kHidden}}, Init::kOnes, false, -1});
  if (s.norm == planner::Norm::kLayerNorm) out.push_back({"ln_f.bias", {{Axis::kHidden}}, Init::kZeros, false, -1});
  if (!s.tied_embeddings) {
    out.push_back({"lm_head", {{Axis::kVocab}, {Axis::kHidden}}, Init::kNormal, true, -1});
  }
  return out;
}

std::string rename_layer(const std::string& name, int new_layer) {
  // "h.<n>.<rest>"
  const auto dot = name.find('.', 2);
  if (name.rfind("h.", 0) != 0 || dot == std::string::npos) return name;
  return fmt::format("h.{}{}", new_layer, name.substr(dot));
}

std::vector<int64_t> storage_of(const std::vector<std::vector<Axis>>& groups, const std::vector<int64_t>& logical) {
  std::vector<int64_t> out;
  size_t i = 0;
  for (const auto& g : groups) {
    int64_t n = 1;
    for (size_t k = 0; k < g.size(); ++k) n *= logical[i++];
    out.push_back(n);
  }
  return out;
}

}  // namespace sprout::backend
