// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s measurement of sprout-train's own memory-bound
// operations (planner::HardwareProfile::trainer_ns_per_element): each run as
// backend/src/step/gpt_forward.cc runs it, forward and backward through
// autograd, in the dtypes the trainer feeds it under `dtype`.
#pragma once

#include <torch/types.h>

#include <functional>
#include <map>
#include <string>

namespace sprout::backend {

// Nanoseconds per element of each of planner::kTrainerOps, on `device`,
// spending about `budget_s` on each. `time_median(run, budget)` times one op.
std::map<std::string, double> measure_trainer_operations(
    const std::string& dtype, torch::Device device, double budget_s,
    const std::function<double(const std::function<void()>&, double)>& time_median);

}  // namespace sprout::backend
