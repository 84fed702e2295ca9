// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout plan` output: the per-stage table, CSV and the --explain breakdown.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "sprout/planner/cost/estimate.h"
#include "sprout/simulator/run/percentile_costs.h"

namespace sprout::cli {

// `median` (--with-failures): the simulator's P50 run, printed in four more
// columns (time, GPU-hours, USD, CO2e) beside the failure-free figures; the
// from-scratch baseline row has none.
std::string estimate_table(const planner::PlanEstimate& e, const planner::Plan& plan,
                           const simulator::PercentileRunCosts* median = nullptr);
std::string estimate_csv(const planner::PlanEstimate& e, const planner::Plan& plan,
                         const simulator::PercentileRunCosts* median = nullptr);
// The P50 figures as JSON: {"percentile", "trials", "seed", "stages": [...], "total": {...}}.
nlohmann::json median_json(const simulator::PercentileRunCosts& median);
// Why each stage takes the time it does, and the runner-up layouts.
std::string estimate_explanation(const planner::PlanEstimate& e, const planner::Plan& plan);

}  // namespace sprout::cli
