// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/lr_schedule.h"

#include <gtest/gtest.h>

namespace sprout::backend {
namespace {

TEST(LrSchedule, LinearWarmupThenCosineToTheFloor) {
  const LrSchedule s{1e-3, 110, 10, 0.1};
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 4), 5e-4);
  EXPECT_DOUBLE_EQ(learning_rate(s, 9), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), 1e-3);                   // cosine starts at the peak
  EXPECT_NEAR(learning_rate(s, 60), 0.5 * (1e-3 + 1e-4), 1e-12);  // half way: the mean
  EXPECT_NEAR(learning_rate(s, 110), 1e-4, 1e-12);                // the floor
  EXPECT_NEAR(learning_rate({1e-3, 5, 0, 0.0}, 0), 1e-3, 1e-15);  // no warm-up
}

}  // namespace
}  // namespace sprout::backend
