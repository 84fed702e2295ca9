// SPDX-License-Identifier: GPL-3.0-or-later
// Where a run happens and what an hour of it costs: the hardware, how many
// GPUs, the region's grid, the price and how power is counted. One value,
// held by the plan, the schedule search's request and the simulator's run
// model, and the only input of costs_for besides the time (cost_model.h).
#pragma once

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/plan/region_profile.h"

namespace sprout::planner {

// How a GPU's average electrical power is counted (cost_model.h gpu_power_w).
enum class PowerModel { kTdp, kTypical };
template <>
struct EnumNameTable<PowerModel> {
  static constexpr EnumName<PowerModel> entries[] = {{PowerModel::kTdp, "tdp"}, {PowerModel::kTypical, "typical"}};
};

struct Cluster {
  HardwareProfile hardware;
  int gpus = 0;
  RegionProfile region;
  double price_usd_per_gpu_hour = 0;  // resolved: given, else the hardware default
  PowerModel power_model = PowerModel::kTdp;
};

const char* to_string(PowerModel p);

}  // namespace sprout::planner
