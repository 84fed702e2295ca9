// SPDX-License-Identifier: GPL-3.0-or-later
// Costs and the cluster they are for, as JSON: the one spelling of these keys
// in `sprout plan`, `sprout simulate` and `sprout search` output
// (docs/formats.md).
#pragma once

#include <nlohmann/json.hpp>

#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {

// {days, gpu_hours, cost_usd, energy_kwh, co2e_kg, embodied_co2e_kg}. Merge
// into a larger object with json::update.
nlohmann::json to_json(const Costs& costs);

// {hardware, gpus, region, price_usd_per_gpu_hour, power_model}: profiles by name.
nlohmann::json to_json(const Cluster& cluster);

}  // namespace sprout::planner
