// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "sprout/planner/cost/cost_model.h"

namespace sprout::planner {
namespace {

TEST(CostModel, TdpPowerModelIsGpuHoursTimesTdpTimesPue) {
  HardwareProfile hw;
  hw.tdp_w = 400;
  hw.gpus_per_node = 8;
  hw.node_overhead_w = 1600;
  hw.typical_power_fraction = 0.5;
  hw.embodied_kg_co2e_per_gpu = 150;
  hw.lifetime_years = 5;
  RegionProfile region;
  region.pue = 1.1;
  region.grid_g_co2e_per_kwh = 582;
  // FLM-101B as published: 1.01e5 GPU-hours at 400 W and PUE 1.1 in China.
  const double seconds = 1.01e5 / 192 * 3600;
  Costs c = costs_for(seconds, 192, hw, region, 1.0, PowerModel::kTdp);
  EXPECT_NEAR(c.gpu_hours, 1.01e5, 1e-6);
  EXPECT_NEAR(c.cost_usd, 1.01e5, 1e-6);
  EXPECT_NEAR(c.energy_kwh, 1.01e5 * 0.4 * 1.1, 1e-6);
  EXPECT_NEAR(c.co2e_kg / 1000, 25.86, 0.01);  // FLM-101B ~26 tCO2e, derived (docs/references.md)
  EXPECT_NEAR(c.embodied_co2e_kg, 150 * 1.01e5 / (5 * 365.25 * 24), 1e-6);

  Costs typical = costs_for(seconds, 192, hw, region, 1.0, PowerModel::kTypical);
  // 400 W x 0.5 + 1600 W / 8 GPUs = 400 W per GPU: same as TDP here.
  EXPECT_NEAR(typical.energy_kwh, c.energy_kwh, 1e-6);
  EXPECT_NEAR(gpu_power_w(hw, PowerModel::kTypical), 400, 1e-12);
}

TEST(CostModel, CostsAdd) {
  Costs a{10, 1, 2, 3, 4, 5};
  Costs b{1, 2, 3, 4, 5, 6};
  a += b;
  EXPECT_EQ(a.seconds, 11);
  EXPECT_EQ(a.embodied_co2e_kg, 11);
}

}  // namespace
}  // namespace sprout::planner
