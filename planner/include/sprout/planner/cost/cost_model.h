// SPDX-License-Identifier: GPL-3.0-or-later
// GPU-hours, dollars, energy and carbon of a stretch of training.
// docs/references.md "Energy and carbon"; docs/formulas.md "Energy and carbon".
#pragma once

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {

struct Costs {
  double seconds = 0;
  double gpu_hours = 0;
  double cost_usd = 0;
  double energy_kwh = 0;        // at the wall, PUE included
  double co2e_kg = 0;           // operational: energy x grid intensity
  double embodied_co2e_kg = 0;  // hardware manufacture, amortised over its lifetime
  Costs& operator+=(const Costs& o);
};

// Average electrical power per GPU in watts, before PUE:
//   tdp:     TDP (as papers report)
//   typical: TDP x measured training fraction + node overhead / GPUs per node
double gpu_power_w(const HardwareProfile& hw, PowerModel model);

// The part of gpu_power_w that no device meter sees (NVML reads the GPU,
// RAPL the CPU package): the node overhead share of the typical model, 0
// under tdp. A run's measured joules plus this are comparable to the plan.
double unmetered_power_w(const HardwareProfile& hw, PowerModel model);

// `seconds` of all of the cluster's GPUs: GPU-hours at its price, energy at its
// power model and PUE, carbon at its grid intensity, embodied carbon of its
// hardware. Linear in seconds.
Costs costs_for(double seconds, const Cluster& cluster);

}  // namespace sprout::planner
