// SPDX-License-Identifier: GPL-3.0-or-later
// Rotary position embedding (RoPE, Su et al. 2021, arXiv 2104.09864) and
// xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer", arXiv
// 2212.10554, as FLM-101B used it) on attention's queries and keys.
//
// Both rotate pair i of every head by the angle n theta_i at absolute token
// position n, theta_i = 10000^(-2i/d) (RoPE eq. 15), so that q_m . k_n depends
// on m - n only. Pairs are (i, i + d/2), the "rotate half" layout of
// GPT-NeoX and Hugging Face's Llama, so a rotary model exports to Llama as
// it is. xPos also multiplies pair i of the query at position n by
// zeta_i^(n / 512) and of the key by zeta_i^(-n / 512), zeta_i = (2i + 0.4 d)
// / (1.4 d), as torchscale's XPOS does (microsoft/torchscale commit
// 4d1e0e82e5adf86dd424f1463192635b73fc8efc,
// torchscale/component/xpos_relative_position.py): the scale's positions are
// centred (n - ceil(T/2), which cancels in q_m . k_n and halves the
// exponents), the rotation's are not. torchscale pairs (2i, 2i + 1); ours is
// the same function up to a fixed permutation of each head's query and key
// rows (docs/backend.md "Model").
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>

#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

inline constexpr double kRotaryBase = 10000.0;   // RoPE's theta base (Su et al. 2021, eq. 15)
inline constexpr double kXposScaleBase = 512.0;  // torchscale XPOS(scale_base=512)
inline constexpr double kXposGamma = 0.4;        // zeta_i = (2i + gamma d) / ((1 + gamma) d) (Sun et al. 2022)

// Per (position, dimension) multipliers, [T, d] each: rotated = x * cos +
// rotate_half(x) * sin, with xPos's scale folded in (queries and keys differ).
struct RotaryTables {
  torch::Tensor query_cos, query_sin;
  torch::Tensor key_cos, key_sin;
};

// The tables of `kind` (rotary or xpos) for T positions and head size d on
// `device` in `dtype`: computed once in double precision, then cached, so a
// training step does no host work for them.
RotaryTables rotary_tables(planner::PositionEmbedding kind, int64_t seq_len, int64_t head_dim, torch::Device device,
                           torch::ScalarType dtype);

// (-x2, x1) for x = (x1, x2) split in halves along the last dimension.
torch::Tensor rotate_half(const torch::Tensor& x);

// Queries [B, heads, T, d] and keys [B, kv_heads, T, d] with the positions of
// `kind` applied (token t at position t); learned positions leave them as
// they are (the embedding added them).
std::pair<torch::Tensor, torch::Tensor> apply_positions(planner::PositionEmbedding kind, const torch::Tensor& queries,
                                                        const torch::Tensor& keys);

}  // namespace sprout::backend
