// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s measurement of sprout-train's own memory-bound
// operations (planner::HardwareProfile::trainer_ns_per_element): each run as
// backend/src/step/gpt_forward.cc runs it, forward and backward through
// autograd, in the dtypes the trainer feeds it under `dtype`.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "sprout/planner/model/hardware_profile.h"

namespace sprout::backend {

// Nanoseconds per element of each of planner::kTrainerOps at three sizes,
// on `device`, spending about `budget_s` on each, every run started with
// caches holding other data (as in a training step).
std::map<std::string, std::vector<planner::SizedCost>> measure_trainer_operations(const std::string& dtype,
                                                                                  torch::Device device,
                                                                                  double budget_s);

}  // namespace sprout::backend
