// SPDX-License-Identifier: GPL-3.0-or-later
// The `sprout plan --format json` document (issue #3 fixes its field names).
#pragma once

#include <nlohmann/json.hpp>

#include "sprout/planner/cost/estimate.h"

namespace sprout::planner {

nlohmann::json to_json(const ParallelLayout& layout);
nlohmann::json to_json(const StageEstimate& stage, int gpus);
nlohmann::json to_json(const PlanEstimate& estimate, const Plan& plan);

}  // namespace sprout::planner
