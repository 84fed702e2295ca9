// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/adamw.h"

#include <cmath>

namespace sprout::backend {

AdamWState make_adamw_state(const std::vector<torch::Tensor>& parameters) {
  AdamWState s;
  for (const auto& p : parameters) {
    s.moments.push_back({torch::zeros_like(p).detach(), torch::zeros_like(p).detach()});
  }
  return s;
}

void adamw_step(std::vector<torch::Tensor>& parameters, const std::vector<bool>& decay, AdamWState& state,
                const AdamWSettings& s, double lr) {
  torch::NoGradGuard no_grad;
  state.step += 1;
  const double bias1 = 1.0 - std::pow(s.beta1, static_cast<double>(state.step));
  const double bias2 = 1.0 - std::pow(s.beta2, static_cast<double>(state.step));
  const double step_size = lr / bias1;
  const double bias2_sqrt = std::sqrt(bias2);
  for (size_t i = 0; i < parameters.size(); ++i) {
    torch::Tensor& p = parameters[i];
    const torch::Tensor& g = p.grad();
    AdamWMoments& m = state.moments[i];
    if (!g.defined() || !m.exp_avg.defined()) continue;
    // The same operation order as torch.optim.AdamW's single-tensor path.
    if (decay[i] && s.weight_decay != 0) p.mul_(1.0 - lr * s.weight_decay);
    m.exp_avg.lerp_(g, 1.0 - s.beta1);
    m.exp_avg_sq.mul_(s.beta2).addcmul_(g, g, 1.0 - s.beta2);
    torch::Tensor denom = (m.exp_avg_sq.sqrt() / bias2_sqrt).add_(s.eps);
    p.addcdiv_(m.exp_avg, denom, -step_size);
  }
}

double clip_grad_norm(std::vector<torch::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : parameters) {
    if (p.grad().defined()) norms.push_back(p.grad().norm(2));
  }
  if (norms.empty()) return 0.0;
  const double total = torch::stack(norms).norm(2).item<double>();
  scale_gradients(parameters, total, max_norm);
  return total;
}

void scale_gradients(std::vector<torch::Tensor>& parameters, double norm, double max_norm) {
  if (max_norm <= 0) return;
  torch::NoGradGuard no_grad;
  const double coef = max_norm / (norm + 1e-6);
  if (coef >= 1.0) return;
  for (auto& p : parameters) {
    if (p.grad().defined()) p.mutable_grad().mul_(coef);
  }
}

}  // namespace sprout::backend
