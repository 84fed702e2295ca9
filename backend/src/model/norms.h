// SPDX-License-Identifier: GPL-3.0-or-later
// The model's norms over the last (hidden) dimension, plain and MSG-masked:
// LayerNorm (Ba et al. 2016) and RMSNorm (Zhang and Sennrich 2019, arXiv
// 1910.07467). The masked forms weight dimension i by c_i (1 for an old
// dimension, m for a new one) and multiply the output by c, so that at m = 0
// they equal the old model's norm over the old dimensions and give 0 on the
// new ones (docs/formulas.md "Growth", docs/backend.md "MSG").
#pragma once

#include <torch/types.h>

namespace sprout::backend {

// LayerNorm's epsilon: PyTorch's default and GPT-2's. RMSNorm uses the same
// 1e-5 (Llama 2's rms_norm_eps; Llama 1 used 1e-6): one value for both norms,
// and small against mean(x^2) ~ 1 of an initialised residual stream.
inline constexpr double kNormEps = 1e-5;

// (x - mean) / sqrt(var + eps) * weight + bias.
torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// x / sqrt(mean(x^2) + eps) * weight, computed in fp32 (as LayerNorm is under autocast).
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight);

// LayerNorm whose mean and variance weight dimension i by c_i and whose
// output is multiplied by c (MSG): mean = sum_i c_i x_i / sum_i c_i.
torch::Tensor masked_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                const torch::Tensor& mask);

// RMSNorm with the mean of squares weighted the same way:
// x / sqrt(sum_i c_i x_i^2 / sum_i c_i + eps) * weight * c.
torch::Tensor masked_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& mask);

}  // namespace sprout::backend
