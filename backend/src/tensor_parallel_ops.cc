// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/tensor_parallel_ops.h"

namespace sprout::backend {
namespace {

// fp32, contiguous, not part of any graph: what the collective works on
// (in place). One copy whatever x's dtype and strides: this runs twice per
// block forward and backward.
torch::Tensor comm_copy(const torch::Tensor& x) {
  return torch::empty(x.sizes(), x.options().dtype(torch::kFloat32)).copy_(x.detach());
}

torch::Tensor all_reduced(const torch::Tensor& x, Communicator& group) {
  std::vector<torch::Tensor> t = {comm_copy(x)};
  group.all_reduce_sum(t);
  return t[0];
}

// Zero, with x's gradient: what links a value computed outside autograd to x.
torch::Tensor gradient_carrier(const torch::Tensor& x) { return x - x.detach(); }

// The gradient arriving at `t` is summed over the group before it flows on.
void all_reduce_gradient(torch::Tensor& t, Communicator& group) {
  if (!t.requires_grad()) return;
  Communicator* g = &group;
  t.register_hook([g](const torch::Tensor& grad) { return all_reduced(grad, *g).to(grad.scalar_type()); });
}

}  // namespace

torch::Tensor copy_to_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active() || !x.requires_grad()) return x;
  torch::Tensor y = x.view_as(x);
  all_reduce_gradient(y, *tp.group);
  return y;
}

torch::Tensor reduce_from_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active()) return x;
  return all_reduced(x, *tp.group) + gradient_carrier(x);
}

torch::Tensor max_over_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active()) return x.detach();
  std::vector<torch::Tensor> t = {comm_copy(x)};
  tp.group->all_reduce_max(t);
  return t[0];
}

}  // namespace sprout::backend
