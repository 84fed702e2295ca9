// SPDX-License-Identifier: GPL-3.0-or-later
// The communication operators of Megatron-LM's tensor parallelism (Shoeybi
// et al. 2019, "f" and "g"), as autograd-aware functions on LibTorch
// tensors:
//
//   copy_to_tensor_parallel    identity forward, all-reduce backward (input of a column-parallel linear)
//   reduce_from_tensor_parallel all-reduce forward, identity backward (output of a row-parallel linear)
//
// and, with sequence parallelism (Korthikanti et al. 2022, sec. 4.2.2: the
// LayerNorm, dropout and residual regions hold a 1/tp slice of the
// sequence), their replacements "g" and "g-bar":
//
//   gather_from_sequence_parallel       all-gather along the sequence forward, reduce-scatter backward
//   reduce_scatter_to_sequence_parallel reduce-scatter along the sequence forward, all-gather backward
//
// Each is built from a value computed without autograd plus a zero-valued
// term that carries the gradient (x - x.detach()), with a backward hook where
// the backward needs a collective: forward values are exactly the reduced
// ones. Communication runs in fp32 (Gloo has no bf16 reduction on every
// version). The sequence-parallel collectives are all-reduces of zero-padded
// slices (c10d's Gloo has no reduce-scatter; an all-gather is then the sum of
// slices padded with zeros, exact since 0 + x = x): the activation memory
// saving is Megatron's, the bytes on the wire are twice those of a ring
// reduce-scatter or all-gather.
#pragma once

#include <torch/types.h>

#include "comm/communicator.h"

namespace sprout::backend {

struct TensorParallelContext {
  Communicator* group = nullptr;  // null: the whole layer on this rank
  int rank = 0;
  int size = 1;
  // The residual stream between the tensor-parallel regions is split along
  // the sequence: [batch, seq_len / size, hidden] on each rank.
  bool sequence_parallel = false;
  bool active() const { return group != nullptr && size > 1; }
  bool splits_sequence() const { return active() && sequence_parallel; }
};

torch::Tensor copy_to_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);
torch::Tensor reduce_from_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);

// x: [batch, seq_len / tp, ...], this rank's slice (the rank-th block of the
// sequence) -> [batch, seq_len, ...] on every rank.
torch::Tensor gather_from_sequence_parallel(const torch::Tensor& x, const TensorParallelContext& tp);
// x: [batch, seq_len, ...], partial sums -> this rank's slice of their sum.
torch::Tensor reduce_scatter_to_sequence_parallel(const torch::Tensor& x, const TensorParallelContext& tp);

// Element-wise maximum over the group (no gradient).
torch::Tensor max_over_tensor_parallel(const torch::Tensor& x, const TensorParallelContext& tp);

}  // namespace sprout::backend
