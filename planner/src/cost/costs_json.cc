// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/costs_json.h"

#include "sprout/planner/base/units.h"

namespace sprout::planner {

nlohmann::json to_json(const Costs& c) {
  return {{"days", c.seconds / kSecondsPerDay}, {"gpu_hours", c.gpu_hours}, {"cost_usd", c.cost_usd},
          {"energy_kwh", c.energy_kwh},         {"co2e_kg", c.co2e_kg},     {"embodied_co2e_kg", c.embodied_co2e_kg}};
}

nlohmann::json to_json(const Cluster& c) {
  return {{"hardware", c.hardware.name},
          {"gpus", c.gpus},
          {"region", c.region.name},
          {"price_usd_per_gpu_hour", c.price_usd_per_gpu_hour},
          {"power_model", to_string(c.power_model)}};
}

}  // namespace sprout::planner
