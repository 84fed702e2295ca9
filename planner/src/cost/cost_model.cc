// SPDX-License-Identifier: GPL-3.0-or-later
// Energy: kWh = GPU-hours x average power x PUE; carbon: kWh x grid
// intensity; embodied: kgCO2e per GPU x run time / lifetime (LLMCarbon, Faiz
// et al. 2023). docs/references.md "Energy and carbon".
#include "sprout/planner/cost/cost_model.h"

#include "sprout/planner/base/units.h"

namespace sprout::planner {

Costs& Costs::operator+=(const Costs& o) {
  seconds += o.seconds;
  gpu_hours += o.gpu_hours;
  cost_usd += o.cost_usd;
  energy_kwh += o.energy_kwh;
  co2e_kg += o.co2e_kg;
  embodied_co2e_kg += o.embodied_co2e_kg;
  return *this;
}

double unmetered_power_w(const HardwareProfile& hw, PowerModel model) {
  if (model == PowerModel::kTdp) return 0;
  return hw.gpus_per_node > 0 ? hw.node_overhead_w / hw.gpus_per_node : 0;
}

double gpu_power_w(const HardwareProfile& hw, PowerModel model) {
  if (model == PowerModel::kTdp) return hw.tdp_w;
  return hw.tdp_w * hw.typical_power_fraction + unmetered_power_w(hw, model);
}

Costs costs_for(double seconds, const Cluster& cluster) {
  const HardwareProfile& hw = cluster.hardware;
  const RegionProfile& region = cluster.region;
  Costs c;
  c.seconds = seconds;
  c.gpu_hours = seconds / kSecondsPerHour * cluster.gpus;
  c.cost_usd = c.gpu_hours * cluster.price_usd_per_gpu_hour;
  c.energy_kwh = c.gpu_hours * gpu_power_w(hw, cluster.power_model) / 1000.0 * region.pue;
  c.co2e_kg = c.energy_kwh * region.grid_g_co2e_per_kwh / 1000.0;
  constexpr double kHoursPerYear = 365.25 * 24;
  if (hw.lifetime_years > 0) {
    c.embodied_co2e_kg = hw.embodied_kg_co2e_per_gpu * c.gpu_hours / (hw.lifetime_years * kHoursPerYear);
  }
  return c;
}

}  // namespace sprout::planner
