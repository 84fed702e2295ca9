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

using TrainerOperationCosts = std::map<std::string, std::vector<planner::SizedCost>>;  // op -> sizes
using TrainerOperationsByDtype = std::map<std::string, TrainerOperationCosts>;         // dtype -> costs

// One sweep through planner::kTrainerOps at three sizes in each of `dtypes`,
// the dtypes taking turns at each size, on `device`: nanoseconds per
// element, each timing about `budget_s`, every run started with caches
// holding other data (as in a training step). `sprout profile` runs
// kProbeSweeps of them at moments spread over its probes and keeps
// median_over_sweeps (probe_medians.h: a slow stretch of a shared machine
// then lands in one sweep, not in the median).
TrainerOperationsByDtype sweep_trainer_operations(const std::vector<std::string>& dtypes, torch::Device device,
                                                  double budget_s);

// Each operation's cost per element at each size, the median over `sweeps`
// (not empty, each of the same dtypes, operations and sizes).
TrainerOperationsByDtype median_over_sweeps(const std::vector<TrainerOperationsByDtype>& sweeps);

}  // namespace sprout::backend
