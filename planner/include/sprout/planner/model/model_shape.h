// SPDX-License-Identifier: GPL-3.0-or-later
// The architecture of one GPT decoder, and what follows from it alone:
// parameter count and training FLOPs. Formulas and their derivation for GQA
// and SwiGLU are in docs/formulas.md.
#pragma once

#include <string>

#include "sprout/planner/base/enum_names.h"

namespace sprout::planner {

enum class Activation { kGelu, kSwiglu };
template <>
struct EnumNameTable<Activation> {
  static constexpr EnumName<Activation> entries[] = {{Activation::kGelu, "gelu"}, {Activation::kSwiglu, "swiglu"}};
};

// Learned absolute positions (GPT-2: a [seq_len, hidden] table), rotary
// (RoPE, Su et al. 2021, arXiv 2104.09864) or xPos (Sun et al. 2022, arXiv
// 2212.10554; FLM-101B's). Rotary and xPos have no parameters.
// RoPE and xPos cost the same; they are told apart for exports: Megatron-LM has
// RoPE, not xPos.
enum class PositionEmbedding { kLearned, kRotary, kXpos };
template <>
struct EnumNameTable<PositionEmbedding> {
  static constexpr EnumName<PositionEmbedding> entries[] = {
      {PositionEmbedding::kLearned, "learned"},
      {PositionEmbedding::kRotary, "rotary"},
      {PositionEmbedding::kXpos, "xpos"},
  };
};

// Rotary and xPos rotate each head's queries and keys by angles that depend
// on the head size (theta_i = 10000^(-2i/d)).
inline bool rotates_queries_and_keys(PositionEmbedding p) { return p != PositionEmbedding::kLearned; }

// LayerNorm (Ba et al. 2016: gain and bias) or RMSNorm (Zhang and Sennrich
// 2019, arXiv 1910.07467: gain only, no mean subtraction).
enum class Norm { kLayerNorm, kRmsNorm };
template <>
struct EnumNameTable<Norm> {
  static constexpr EnumName<Norm> entries[] = {{Norm::kLayerNorm, "layernorm"}, {Norm::kRmsNorm, "rmsnorm"}};
};

struct ModelShape {
  int layers = 0;
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;    // == heads for multi-head attention, fewer for GQA
  int ffn_hidden = 0;  // intermediate size of the MLP
  int vocab = 0;
  int seq_len = 0;
  Activation activation = Activation::kGelu;
  PositionEmbedding position = PositionEmbedding::kLearned;
  bool tied_embeddings = true;
  Norm norm = Norm::kLayerNorm;  // every norm of the model: two per block and the final one

  int head_dim() const { return hidden / heads; }
};

// Default FFN width: 4h for GELU; for SwiGLU 8h/3 rounded up to a multiple of
// 256 (as Llama does, so the three matrices hold about as many weights as the
// two GELU ones).
int default_ffn_hidden(int hidden, Activation activation);

// Parameters of the whole model. For MHA/GELU with learned positions and tied
// embeddings this is 12 l h^2 (1 + 13/(12 h) + (V + s)/(12 l h)) + 2h
// (Narayanan et al. 2021, arXiv 2104.04473, eq. 2; the final LayerNorm adds the 2h).
// An RMSNorm has a gain and no bias: h per norm instead of 2h.
double parameter_count(const ModelShape& shape);
double parameters_per_layer(const ModelShape& shape);
double embedding_parameters(const ModelShape& shape);
double norm_parameters(const ModelShape& shape);  // one norm: 2h (LayerNorm) or h (RMSNorm)
// Whether a layer's linear layers carry biases: GPT-style GELU blocks do
// (Radford et al. 2019), Llama-style SwiGLU blocks do not (Touvron et al. 2023).
bool has_biases(const ModelShape& shape);

enum class Recompute { kNone, kSelective, kFull };
template <>
struct EnumNameTable<Recompute> {
  static constexpr EnumName<Recompute> entries[] = {
      {Recompute::kNone, "none"}, {Recompute::kSelective, "selective"}, {Recompute::kFull, "full"}};
};

// Forward FLOPs of one token through one transformer layer (matmuls only),
// counting the full s x s attention score matrix as Narayanan et al. do.
double layer_forward_flops_per_token(const ModelShape& shape);
// Forward FLOPs of one token through the attention core (QK^T and AV).
double attention_core_forward_flops_per_token(const ModelShape& shape);
// Forward FLOPs of the logit layer per token (2 h V).
double logit_forward_flops_per_token(const ModelShape& shape);

// Model FLOPs per trained token (forward + backward = 3x forward). This is the
// numerator of MFU and of the reported TFLOP/s per GPU; it never counts
// recomputation. For MHA/GELU it equals 72 l h^2 (1 + s/(6h)) + 6 h V.
double model_flops_per_token(const ModelShape& shape);
// Hardware FLOPs per token: adds the forward work that recomputation repeats
// (full: every layer's forward again; selective: the attention core again).
// With full recompute this is Narayanan et al. 2021 eq. 3 exactly:
// 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) per iteration.
double hardware_flops_per_token(const ModelShape& shape, Recompute recompute);

const char* to_string(Activation a);
const char* to_string(Recompute r);
const char* to_string(PositionEmbedding p);
const char* to_string(Norm n);

}  // namespace sprout::planner
