// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/communicator.h"

namespace sprout::backend {

void average_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters) {
  if (comm.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (auto& p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  comm.all_reduce_sum(grads);
  for (auto& g : grads) g.div_(comm.world_size());
}

double average_scalar(Communicator& comm, double value) {
  if (comm.world_size() == 1) return value;
  std::vector<torch::Tensor> t = {torch::tensor({value}, torch::kFloat64)};
  comm.all_reduce_sum(t);
  return t[0].item<double>() / comm.world_size();
}

}  // namespace sprout::backend
