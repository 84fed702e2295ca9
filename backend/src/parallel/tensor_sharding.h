// SPDX-License-Identifier: GPL-3.0-or-later
// How tensor parallelism splits a parameter, read from its ParameterSpec
// (Megatron-LM, Shoeybi et al. 2019): the vocabulary of the token embedding
// and the output layer (vocab-parallel), the heads of Q/K/V and their biases
// (column-parallel), the heads of the attention output projection (row-
// parallel), the FFN neurons of the first MLP linear(s) and their bias
// (column) and of the second (row). Every other parameter (LayerNorms, the
// position embedding, the biases added after a row-parallel linear) is
// replicated on every tensor-parallel rank. TP rank t holds the t-th of tp
// equal contiguous blocks of the split axis.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "model/parameter_layout.h"

namespace sprout::backend {

// Index of the split axis among the spec's logical axes, or nothing for a
// replicated parameter.
std::optional<size_t> tensor_parallel_axis(const ParameterSpec& spec);

// A range of one logical axis, in its units (heads, neurons, tokens, ...).
struct AxisRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
  bool operator==(const AxisRange& o) const { return begin == o.begin && end == o.end; }
};

// What TP rank `tp_rank` of `tp` holds of the split axis; an empty range for
// a replicated parameter (every rank holds all of it). Throws
// std::invalid_argument when tp does not divide the axis.
AxisRange tensor_parallel_range(const ParameterSpec& spec, const planner::ModelShape& shape, int tp, int tp_rank);

// Logical sizes with the split axis cut to `range` (an empty range: whole).
std::vector<int64_t> slice_logical_sizes(const ParameterSpec& spec, const planner::ModelShape& shape,
                                         const AxisRange& range);
std::vector<int64_t> slice_storage_sizes(const ParameterSpec& spec, const planner::ModelShape& shape,
                                         const AxisRange& range);

// The part `range` of logical axis `axis` of `tensor` (whose logical sizes
// are `logical`), in storage shape and contiguous. A tensor-parallel rank's
// shard of a full parameter is slice_logical(full, logical_sizes(...), axis,
// tensor_parallel_range(...)).
torch::Tensor slice_logical(const torch::Tensor& tensor, const std::vector<std::vector<Axis>>& axis_groups,
                            const std::vector<int64_t>& logical, size_t axis, const AxisRange& range);

// This TP rank's shard of `full` (a full parameter of `shape`).
torch::Tensor tensor_parallel_shard(const torch::Tensor& full, const ParameterSpec& spec,
                                    const planner::ModelShape& shape, int tp, int tp_rank);

}  // namespace sprout::backend
