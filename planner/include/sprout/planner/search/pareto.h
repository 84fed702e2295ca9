// SPDX-License-Identifier: GPL-3.0-or-later
// Pareto fronts over what a schedule costs and what it buys, and where a given
// schedule sits relative to one.
#pragma once

#include <cstddef>
#include <vector>

namespace sprout::planner {

// Lower is better in every objective.
struct ScheduleObjectives {
  double cost_usd = 0;
  double seconds = 0;
  double co2e_kg = 0;
  double loss = 0;
};

// a is no worse than b in every objective and better in at least one.
bool dominates(const ScheduleObjectives& a, const ScheduleObjectives& b);

// Indices of the points no other point dominates (the first of exact duplicates).
std::vector<std::size_t> pareto_front(const std::vector<ScheduleObjectives>& points);

struct FrontPlacement {
  bool on_front = false;  // no front point dominates it
  int dominated_by = 0;   // front points that dominate it
  int rank = 0;           // 1-based place among the front points ordered by loss
  // Loss above the best front point that costs no more in USD, days and CO2e
  // (0 when none is better): "the same money buys this much lower loss".
  double loss_gap = 0;
  // 1 - (USD of the cheapest front point with no higher loss) / its USD:
  // "the same loss for this much less money" (0 when none is cheaper).
  double cost_saving_fraction = 0;
};
FrontPlacement place_on_front(const std::vector<ScheduleObjectives>& front, const ScheduleObjectives& point);

}  // namespace sprout::planner
