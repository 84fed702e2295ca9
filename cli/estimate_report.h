// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout plan` output: the per-stage table, CSV and the --explain breakdown.
#pragma once

#include <string>

#include "sprout/planner/cost/estimate.h"

namespace sprout::cli {

std::string estimate_table(const planner::PlanEstimate& e, const planner::Plan& plan);
std::string estimate_csv(const planner::PlanEstimate& e, const planner::Plan& plan);
// Why each stage takes the time it does, and the runner-up layouts.
std::string estimate_explanation(const planner::PlanEstimate& e, const planner::Plan& plan);

}  // namespace sprout::cli
