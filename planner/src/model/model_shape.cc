// SPDX-License-Identifier: GPL-3.0-or-later
// Parameter and FLOP counts. Derivations: docs/formulas.md "Parameters" and
// "FLOPs"; the MHA/GELU cases reduce to Narayanan et al. 2021 (arXiv
// 2104.04473) eq. 3 and the 12 l h^2 (1 + 13/(12h) + (V+s)/(12 l h)) count.
#include "sprout/planner/model/model_shape.h"

namespace sprout::planner {
namespace {

double kv_width(const ModelShape& s) { return static_cast<double>(s.kv_heads) * s.head_dim(); }

}  // namespace

bool has_biases(const ModelShape& s) { return s.activation == Activation::kGelu; }

int default_ffn_hidden(int hidden, Activation activation) {
  if (activation == Activation::kGelu) return 4 * hidden;
  int f = (8 * hidden + 2) / 3;
  return ((f + 255) / 256) * 256;
}

double parameters_per_layer(const ModelShape& s) {
  const double h = s.hidden, f = s.ffn_hidden, kv = kv_width(s);
  double attention = h * (h + 2 * kv) + h * h;  // Q, K, V and output projections
  double mlp = (s.activation == Activation::kGelu) ? 2 * h * f : 3 * h * f;
  double biases = 0;
  if (has_biases(s)) biases = (h + 2 * kv) + h + f + h;
  return attention + mlp + biases + 2 * norm_parameters(s);
}

double norm_parameters(const ModelShape& s) { return (s.norm == Norm::kLayerNorm ? 2.0 : 1.0) * s.hidden; }

double embedding_parameters(const ModelShape& s) {
  const double h = s.hidden;
  double tokens = static_cast<double>(s.vocab) * h * (s.tied_embeddings ? 1 : 2);
  double positions = (s.position == PositionEmbedding::kLearned) ? double(s.seq_len) * h : 0;
  return tokens + positions;
}

double parameter_count(const ModelShape& s) {
  return s.layers * parameters_per_layer(s) + embedding_parameters(s) + norm_parameters(s);
}

double attention_core_forward_flops_per_token(const ModelShape& s) {
  // QK^T and softmax(.)V each cost 2 s h per token: every query head looks at
  // all s keys, GQA or not.
  return 4.0 * s.seq_len * s.hidden;
}

double layer_forward_flops_per_token(const ModelShape& s) {
  const double h = s.hidden, f = s.ffn_hidden, kv = kv_width(s);
  double qkv = 2 * h * (h + 2 * kv);
  double out = 2 * h * h;
  double mlp = (s.activation == Activation::kGelu) ? 4 * h * f : 6 * h * f;
  return qkv + out + mlp + attention_core_forward_flops_per_token(s);
}

double logit_forward_flops_per_token(const ModelShape& s) { return 2.0 * s.hidden * s.vocab; }

double model_flops_per_token(const ModelShape& s) {
  // Backward costs twice the forward (gradients w.r.t. inputs and weights).
  return 3.0 * (s.layers * layer_forward_flops_per_token(s) + logit_forward_flops_per_token(s));
}

double hardware_flops_per_token(const ModelShape& s, Recompute recompute) {
  double extra = 0;
  switch (recompute) {
    case Recompute::kNone:
      break;
    case Recompute::kSelective:
      extra = s.layers * attention_core_forward_flops_per_token(s);
      break;
    case Recompute::kFull:
      extra = s.layers * layer_forward_flops_per_token(s);
      break;
  }
  return model_flops_per_token(s) + extra;
}

const char* to_string(Activation a) { return EnumNames<Activation>::name(a); }
const char* to_string(PositionEmbedding p) { return EnumNames<PositionEmbedding>::name(p); }
const char* to_string(Norm n) { return EnumNames<Norm>::name(n); }
const char* to_string(Recompute r) { return EnumNames<Recompute>::name(r); }

}  // namespace sprout::planner
