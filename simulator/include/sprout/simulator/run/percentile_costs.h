// SPDX-License-Identifier: GPL-3.0-or-later
// What a plan's real run costs at a chosen percentile of the simulator's
// distribution (failures, restarts, checkpoints, evaluations): the figures
// `sprout plan --with-failures` prints beside the failure-free ones, the
// published campaign totals are compared with, and the search's budget
// screen (`sprout search --confidence`) holds within the limits.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/search/schedule_search.h"
#include "sprout/simulator/run/monte_carlo.h"

namespace sprout::simulator {

struct PercentileRunCosts {
  double percentile = 0.5;  // 0.5 or 0.9
  long long trials = 0;
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, planner::Costs>> stages;  // by stage name
  planner::Costs total;
};

// The percentiles the simulator reports, as the --confidence values: 0.5, 0.9.
bool is_reported_percentile(double percentile);

// Each figure (days, GPU-hours, $, energy, CO2e, embodied) at its own
// percentile of the bands: 0.5 is the P50, 0.9 the P90.
planner::Costs costs_at(const MetricBands& bands, double percentile);

// The plan simulated with the simulator's defaults (failures on, the
// profile's MTBF, Young/Daly checkpoints, the plan's evaluations) over
// `trials` trials. Throws std::invalid_argument for a percentile other than
// 0.5 or 0.9.
PercentileRunCosts run_costs_at(const planner::Plan& plan, double percentile, long long trials = 1000,
                                std::uint64_t seed = 1);

// Trials per schedule when a search screens by a percentile: enough for a
// stable P50/P90 of the totals, few enough for the search to stay interactive.
inline constexpr long long kRiskScreenTrials = 300;

// The search's screen at `percentile` (sprout search --confidence, the GUI's
// Budget tab): each plan's totals at that percentile of kRiskScreenTrials
// simulated runs. Throws std::invalid_argument for a percentile other than
// 0.5 or 0.9.
planner::SearchRequest::RiskScreen risk_screen(double percentile);

}  // namespace sprout::simulator
