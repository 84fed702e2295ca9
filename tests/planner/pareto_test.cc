// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/pareto.h"

#include <gtest/gtest.h>

namespace sprout::planner {
namespace {

ScheduleObjectives point(double usd, double loss) { return {usd, usd * 10, usd / 100, loss}; }

TEST(Pareto, FrontKeepsTheTradeOffsOnly) {
  const std::vector<ScheduleObjectives> points = {
      point(100, 2.0),    // front: cheapest
      point(200, 1.9),    // front
      point(250, 1.95),   // dominated by 200 / 1.9
      point(300, 1.8),    // front: best loss
      point(300, 1.8),    // duplicate: only the first is kept
      {150, 1, 1, 1.95},  // front: fastest and cleanest although not cheapest
  };
  EXPECT_EQ(pareto_front(points), (std::vector<size_t>{0, 1, 3, 5}));
  EXPECT_TRUE(dominates(points[1], points[2]));
  EXPECT_FALSE(dominates(points[3], points[4]));  // equal is not better
}

TEST(Pareto, PlacementMeasuresTheGapToTheFront) {
  const std::vector<ScheduleObjectives> front = {point(100, 2.0), point(200, 1.9), point(300, 1.8)};
  const FrontPlacement behind = place_on_front(front, point(250, 1.95));
  EXPECT_FALSE(behind.on_front);
  EXPECT_EQ(behind.dominated_by, 1);
  EXPECT_EQ(behind.rank, 3);                                         // two front schedules reach a lower loss
  EXPECT_NEAR(behind.loss_gap, 0.05, 1e-12);                         // 1.9 for no more money
  EXPECT_NEAR(behind.cost_saving_fraction, 1 - 200.0 / 250, 1e-12);  // its loss for $200
  const FrontPlacement on = place_on_front(front, point(150, 1.95));
  EXPECT_TRUE(on.on_front);
  EXPECT_EQ(on.loss_gap, 0);
  EXPECT_EQ(on.cost_saving_fraction, 0);
}

}  // namespace
}  // namespace sprout::planner
