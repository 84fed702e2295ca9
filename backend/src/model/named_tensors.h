// SPDX-License-Identifier: GPL-3.0-or-later
// Tensors by name: what a checkpoint stores and what one rank's share of a
// model (or of its Adam moments) is handed around as.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace sprout::backend {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

}  // namespace sprout::backend
