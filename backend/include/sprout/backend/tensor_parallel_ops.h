// SPDX-License-Identifier: GPL-3.0-or-later
// The communication operators of Megatron-LM's tensor parallelism (Shoeybi
// et al. 2019, "f" and "g"), as autograd-aware functions on LibTorch
// tensors:
//
//   copy_to_tensor_parallel    identity forward, all-reduce backward (input of a column-parallel linear)
//   reduce_from_tensor_parallel all-reduce forward, identity backward (output of a row-parallel linear)
//
// Each is built from a value computed without autograd plus a zero-valued
// term that carries the gradient (x - x.detach()), with a backward hook where
// the backward needs a collective: forward values are exactly the reduced
// ones. Communication runs in fp32 (Gloo has no bf16 reduction on every
// version). Sequence parallelism (Korthikanti et al. 2022) is not
// implemented (docs/backend.md "Tensor and pipeline parallelism").
#pragma once

#include <torch/types.h>

#include "sprout/backend/communicator.h"

namespace sprout::backend {

struct TensorParallelContext {
  Communicator* group = nullptr;  // null: the whole layer on this rank
  int rank = 0;
  int size = 1;
  bool active() const { return group != nullptr && size > 1; }
};

torch::Tensor copy_to_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);
torch::Tensor reduce_from_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);

// Element-wise maximum over the group (no gradient).
torch::Tensor max_over_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);

}  // namespace sprout::backend
