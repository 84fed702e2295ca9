// SPDX-License-Identifier: GPL-3.0-or-later
// This process's provenance for summary.json and the first telemetry record
// (planner/runs/run_provenance.h): sprout's version and commit, LibTorch's
// version, the devices of this node and the rank count.
#pragma once

#include <torch/types.h>

#include "sprout/planner/runs/run_provenance.h"

namespace sprout::backend {

planner::RunProvenance run_provenance(const torch::Device& device, int rank_count);

}  // namespace sprout::backend
