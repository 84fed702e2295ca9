// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/norms.h"

namespace sprout::backend {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return at::layer_norm(x, {x.size(-1)}, weight, bias, kNormEps);
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight) {
  const torch::Tensor x32 = x.to(torch::kFloat32);
  return x32 * at::rsqrt(x32.square().mean(-1, true) + kNormEps) * weight;
}

torch::Tensor masked_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                const torch::Tensor& c) {
  const torch::Tensor total = c.sum();
  const torch::Tensor mean = (x * c).sum(-1, true) / total;
  const torch::Tensor centered = x - mean;
  const torch::Tensor var = (centered * centered * c).sum(-1, true) / total;
  return (centered * at::rsqrt(var + kNormEps) * weight + bias) * c;
}

torch::Tensor masked_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& c) {
  const torch::Tensor mean_square = (x * x * c).sum(-1, true) / c.sum();
  return x * at::rsqrt(mean_square + kNormEps) * weight * c;
}

}  // namespace sprout::backend
