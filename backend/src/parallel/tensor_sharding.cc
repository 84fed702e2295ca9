// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/tensor_sharding.h"

#include <fmt/format.h>

#include <stdexcept>

namespace sprout::backend {

std::optional<size_t> tensor_parallel_axis(const ParameterSpec& spec) {
  size_t index = 0;
  for (const auto& group : spec.axes) {
    for (Axis a : group) {
      if (a == Axis::kVocab || a == Axis::kHeads || a == Axis::kKvHeads || a == Axis::kFfn) return index;
      ++index;
    }
  }
  return std::nullopt;
}

AxisRange tensor_parallel_range(const ParameterSpec& spec, const planner::ModelShape& shape, int tp, int tp_rank) {
  const auto axis = tensor_parallel_axis(spec);
  if (!axis) return {0, 0};
  const int64_t size = logical_sizes(spec, shape)[*axis];
  if (size % tp != 0) {
    throw std::invalid_argument(
        fmt::format("{}: {} units cannot be split over {} tensor-parallel ranks", spec.name, size, tp));
  }
  return {tp_rank * size / tp, (tp_rank + 1) * size / tp};
}

std::vector<int64_t> slice_logical_sizes(const ParameterSpec& spec, const planner::ModelShape& shape,
                                         const AxisRange& range) {
  std::vector<int64_t> sizes = logical_sizes(spec, shape);
  if (const auto axis = tensor_parallel_axis(spec); axis && range.size() > 0) sizes[*axis] = range.size();
  return sizes;
}

std::vector<int64_t> slice_storage_sizes(const ParameterSpec& spec, const planner::ModelShape& shape,
                                         const AxisRange& range) {
  return storage_of(spec.axes, slice_logical_sizes(spec, shape, range));
}

torch::Tensor slice_logical(const torch::Tensor& tensor, const std::vector<std::vector<Axis>>& axis_groups,
                            const std::vector<int64_t>& logical, size_t axis, const AxisRange& range) {
  std::vector<int64_t> sliced = logical;
  sliced[axis] = range.size();
  return tensor.reshape(logical)
      .narrow(static_cast<int64_t>(axis), range.begin, range.size())
      .contiguous()
      .reshape(storage_of(axis_groups, sliced));
}

torch::Tensor tensor_parallel_shard(const torch::Tensor& full, const ParameterSpec& spec,
                                    const planner::ModelShape& shape, int tp, int tp_rank) {
  const auto axis = tensor_parallel_axis(spec);
  if (!axis || tp == 1) return full;
  return slice_logical(full, spec.axes, logical_sizes(spec, shape), *axis,
                       tensor_parallel_range(spec, shape, tp, tp_rank));
}

}  // namespace sprout::backend
