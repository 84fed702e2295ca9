// SPDX-License-Identifier: GPL-3.0-or-later
// A searched schedule (shapes and iterations) written out as a plan.
#pragma once

#include <string>
#include <vector>

#include "search/shape_costs.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct PlannedStage {
  const ShapeCost* shape = nullptr;
  long long iterations = 0;
};

// Stages named by shape ("40x5760"), growth declared from the shape change,
// each stage's layout, recompute and batch fixed as costed.
Plan make_schedule_plan(const Plan& base, const std::vector<PlannedStage>& stages, long long grow_steps,
                        const std::string& name, const std::string& notes);

}  // namespace sprout::planner
