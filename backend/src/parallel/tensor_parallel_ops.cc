// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/tensor_parallel_ops.h"

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

// The sequence axis of the [batch, seq, ...] activations.
constexpr int64_t kSequenceAxis = 1;

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

torch::Tensor gather_from_sequence_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active()) return x;
  const int64_t local = x.size(kSequenceAxis), begin = tp.rank * local;
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes[kSequenceAxis] = local * tp.size;
  torch::Tensor padded = torch::zeros(sizes, x.options().dtype(torch::kFloat32));
  padded.narrow(kSequenceAxis, begin, local).copy_(x.detach());
  std::vector<torch::Tensor> t = {padded};
  tp.group->all_reduce_sum(t);
  if (!x.requires_grad()) return t[0];
  // The carrier is x's zero padded to the full sequence: its backward keeps
  // this rank's slice of the gradient, which the hook has summed over the
  // ranks (a reduce-scatter).
  std::vector<int64_t> pad(2 * static_cast<size_t>(x.dim() - kSequenceAxis), 0);
  pad[pad.size() - 2] = begin;
  pad[pad.size() - 1] = sizes[kSequenceAxis] - begin - local;
  torch::Tensor y = t[0] + at::constant_pad_nd(gradient_carrier(x), pad, 0);
  all_reduce_gradient(y, *tp.group);
  return y;
}

torch::Tensor reduce_scatter_to_sequence_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active()) return x;
  const int64_t local = x.size(kSequenceAxis) / tp.size, begin = tp.rank * local;
  const torch::Tensor value = all_reduced(x, *tp.group).narrow(kSequenceAxis, begin, local);
  if (!x.requires_grad()) return value.contiguous();
  // The gradient reaching `whole` is this rank's slice padded with zeros;
  // summed over the ranks it is the gathered gradient (an all-gather).
  torch::Tensor whole = x.view_as(x);
  all_reduce_gradient(whole, *tp.group);
  return value + gradient_carrier(whole).narrow(kSequenceAxis, begin, local);
}

torch::Tensor max_over_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp) {
  if (!tp.active()) return x.detach();
  std::vector<torch::Tensor> t = {comm_copy(x)};
  tp.group->all_reduce_max(t);
  return t[0];
}

}  // namespace sprout::backend
