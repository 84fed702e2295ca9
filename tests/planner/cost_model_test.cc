// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/cost_model.h"

#include <gtest/gtest.h>

#include "sprout/planner/base/units.h"

namespace sprout::planner {
namespace {

// FLM-101B's cluster as published: 192 A800s at 400 W, PUE 1.1 in China, $1/GPU-hour.
Cluster flm_cluster() {
  Cluster c;
  c.hardware.tdp_w = 400;
  c.hardware.gpus_per_node = 8;
  c.hardware.node_overhead_w = 1600;
  c.hardware.typical_power_fraction = 0.5;
  c.hardware.embodied_kg_co2e_per_gpu = 150;
  c.hardware.lifetime_years = 5;
  c.gpus = 192;
  c.region.pue = 1.1;
  c.region.grid_g_co2e_per_kwh = 582;
  c.price_usd_per_gpu_hour = 1.0;
  c.power_model = PowerModel::kTdp;
  return c;
}

TEST(CostModel, TdpPowerModelIsGpuHoursTimesTdpTimesPue) {
  const Cluster cluster = flm_cluster();
  const HardwareProfile& hw = cluster.hardware;
  // FLM-101B as published: 1.01e5 GPU-hours.
  const double seconds = 1.01e5 / 192 * kSecondsPerHour;
  Costs c = costs_for(seconds, cluster);
  EXPECT_NEAR(c.gpu_hours, 1.01e5, 1e-6);
  EXPECT_NEAR(c.cost_usd, 1.01e5, 1e-6);
  EXPECT_NEAR(c.energy_kwh, 1.01e5 * 0.4 * 1.1, 1e-6);
  EXPECT_NEAR(c.co2e_kg / 1000, 25.86, 0.01);  // FLM-101B ~26 tCO2e, derived (docs/references.md)
  EXPECT_NEAR(c.embodied_co2e_kg, 150 * 1.01e5 / (5 * 365.25 * 24), 1e-6);

  Cluster typical_cluster = cluster;
  typical_cluster.power_model = PowerModel::kTypical;
  Costs typical = costs_for(seconds, typical_cluster);
  // 400 W x 0.5 + 1600 W / 8 GPUs = 400 W per GPU: same as TDP here.
  EXPECT_NEAR(typical.energy_kwh, c.energy_kwh, 1e-6);
  EXPECT_NEAR(gpu_power_w(hw, PowerModel::kTypical), 400, 1e-12);
}

// Every cost is linear in GPUs x time and in the price; a cluster copy with
// other GPUs (the run's ranks, hot spares) is how callers cost a variant.
TEST(CostModel, CostsScaleWithTheClustersGpusAndPrice) {
  const Cluster base = flm_cluster();
  const Costs one = costs_for(kSecondsPerDay, base);
  Cluster twice = base;
  twice.gpus = 2 * base.gpus;
  twice.price_usd_per_gpu_hour = 3;
  const Costs two = costs_for(kSecondsPerDay, twice);
  EXPECT_EQ(two.seconds, one.seconds);
  EXPECT_NEAR(two.gpu_hours, 2 * one.gpu_hours, 1e-9);
  EXPECT_NEAR(one.gpu_hours, 192 * 24, 1e-9);
  EXPECT_NEAR(two.cost_usd, 6 * one.cost_usd, 1e-9);
  EXPECT_NEAR(two.energy_kwh, 2 * one.energy_kwh, 1e-9);
  EXPECT_NEAR(two.co2e_kg, 2 * one.co2e_kg, 1e-9);
  EXPECT_NEAR(two.embodied_co2e_kg, 2 * one.embodied_co2e_kg, 1e-9);
  EXPECT_EQ(costs_for(0, base).cost_usd, 0);
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
