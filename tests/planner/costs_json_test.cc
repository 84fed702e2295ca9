// SPDX-License-Identifier: GPL-3.0-or-later
// The one JSON spelling of costs and clusters (sprout plan, simulate, search).
#include "sprout/planner/cost/costs_json.h"

#include <gtest/gtest.h>

#include "sprout/planner/base/units.h"

namespace sprout::planner {
namespace {

TEST(CostsJson, HasEveryCostKey) {
  const Costs c{2 * kSecondsPerDay, 10, 20, 30, 40, 50};
  const nlohmann::json j = to_json(c);
  EXPECT_EQ(j.size(), 6u);
  EXPECT_DOUBLE_EQ(j.at("days").get<double>(), 2);
  EXPECT_DOUBLE_EQ(j.at("gpu_hours").get<double>(), 10);
  EXPECT_DOUBLE_EQ(j.at("cost_usd").get<double>(), 20);
  EXPECT_DOUBLE_EQ(j.at("energy_kwh").get<double>(), 30);
  EXPECT_DOUBLE_EQ(j.at("co2e_kg").get<double>(), 40);
  EXPECT_DOUBLE_EQ(j.at("embodied_co2e_kg").get<double>(), 50);
}

TEST(CostsJson, MergesIntoALargerObject) {
  nlohmann::json stage = {{"name", "stage1"}};
  stage.update(to_json(Costs{}));
  EXPECT_EQ(stage.size(), 7u);
  EXPECT_EQ(stage.at("name"), "stage1");
}

TEST(CostsJson, ClusterByProfileNames) {
  Cluster c;
  c.hardware.name = "a800";
  c.gpus = 192;
  c.region.name = "cn-north";
  c.price_usd_per_gpu_hour = 1.5;
  c.power_model = PowerModel::kTypical;
  const nlohmann::json expected = {{"hardware", "a800"},
                                   {"gpus", 192},
                                   {"region", "cn-north"},
                                   {"price_usd_per_gpu_hour", 1.5},
                                   {"power_model", "typical"}};
  EXPECT_EQ(to_json(c), expected);
}

}  // namespace
}  // namespace sprout::planner
