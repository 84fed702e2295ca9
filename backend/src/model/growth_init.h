// SPDX-License-Identifier: GPL-3.0-or-later
// The initial values of a grown model's parameters (the entries MSG growth
// adds; the old ones are copied over them), drawn so that any block of a
// tensor can be drawn alone: a tensor-parallel rank draws only its slice,
// and gets the values a single process draws there, bit for bit.
//
// Weights are N(0, std) from Philox4x32-10 (philox.h): key = the growth's
// seed, counter = (the element's index in the full tensor, row-major over
// its logical sizes; the parameter's index in the grown model), Box-Muller
// on the first two output words (Box and Muller 1958). std is the plan's
// init_std, divided by sqrt(2 layers) for residual projections as
// init_parameter does (GPT-2). Gains are 1, biases 0.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "model/gpt_model.h"

namespace sprout::backend {

// [begin, end) of logical axis `axis`.
struct LogicalBlock {
  size_t axis = 0;
  int64_t begin = 0;
  int64_t end = 0;
};

// Parameter `spec` (index `parameter_index` among the grown model's) of a
// model of `settings`, or only `block` of it, in storage shape (the block's
// when given), on the CPU.
torch::Tensor grown_parameter_init(const ParameterSpec& spec, size_t parameter_index, const GptSettings& settings,
                                   uint64_t seed, const std::optional<LogicalBlock>& block = std::nullopt);

}  // namespace sprout::backend
