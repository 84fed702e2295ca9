// SPDX-License-Identifier: GPL-3.0-or-later
// The loss-spike guard (docs/backend.md "Loss spikes"): z-scores against the
// window, the window filling and moving, non-finite losses, and the guard
// as the step asks it (StepSpec::keep_update).
#include "run/spike_guard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sprout::backend {
namespace {

planner::SpikeSettings settings(double z, long long window, planner::SpikeAction action) {
  planner::SpikeSettings s;
  s.z = z;
  s.window = window;
  s.action = action;
  return s;
}

TEST(SpikeGuard, JudgesALossByItsZScoreOnceTheWindowIsFull) {
  const SpikeGuard guard(settings(4.0, 4, planner::SpikeAction::kSkip));
  const std::vector<double> window = {2.0, 2.2, 1.8, 2.0};  // mean 2, sample std 0.1633
  const SpikeVerdict high = guard.judge(2.7, window);
  EXPECT_NEAR(high.mean, 2.0, 1e-12);
  EXPECT_NEAR(high.std, std::sqrt(0.08 / 3), 1e-12);
  EXPECT_NEAR(high.z, 0.7 / std::sqrt(0.08 / 3), 1e-9);
  EXPECT_TRUE(high.spike);                                // z 4.29
  EXPECT_FALSE(guard.judge(2.6, window).spike);           // z 3.67
  EXPECT_FALSE(guard.judge(0.5, window).spike);           // far below: no spike
  EXPECT_FALSE(guard.judge(9.0, {2.0, 2.0, 2.1}).spike);  // the window is not full yet
  const SpikeVerdict nan = guard.judge(std::numeric_limits<double>::quiet_NaN(), {});
  EXPECT_TRUE(nan.spike);  // a non-finite loss always spikes
  EXPECT_TRUE(std::isnan(nan.z));
}

TEST(SpikeGuard, WatchesAStepAndKeepsTheWindowOfKeptLosses) {
  SpikeGuard guard(settings(3.0, 3, planner::SpikeAction::kRollback));
  std::vector<double> window;
  for (double loss : {3.0, 2.9, 2.8, 2.7}) {
    StepSpec spec;
    guard.watch(spec, window);
    ASSERT_TRUE(spec.keep_update);
    EXPECT_TRUE(spec.keep_update(loss));
    guard.after_step(loss, window);
    EXPECT_FALSE(guard.spiked());
  }
  EXPECT_EQ(window, (std::vector<double>{2.9, 2.8, 2.7}));  // the oldest left
  StepSpec spec;
  guard.watch(spec, window);
  EXPECT_FALSE(spec.keep_update(8.0));
  EXPECT_TRUE(guard.spiked());
  EXPECT_TRUE(guard.rolls_back());
  guard.after_step(8.0, window);
  EXPECT_EQ(window.size(), 3u);  // a spike does not join the window
  EXPECT_EQ(window.back(), 2.7);
  const planner::TelemetryRecord e = guard.event(planner::TelemetryRecord{}, 5, std::string("ckpt"));
  ASSERT_TRUE(e.spike);
  EXPECT_EQ(e.spike->step, 5);
  EXPECT_EQ(e.spike->action, "rollback");
  EXPECT_EQ(*e.path, "ckpt");
  for (int i = 0; i < 5; ++i) guard.count_rollback(12);
  EXPECT_THROW(guard.count_rollback(12), std::runtime_error);  // the same checkpoint a sixth time
}

TEST(SpikeGuard, OffItAsksNothing) {
  SpikeGuard guard(std::nullopt);
  StepSpec spec;
  std::vector<double> window;
  guard.watch(spec, window);
  EXPECT_FALSE(spec.keep_update);
  guard.after_step(1.0, window);
  EXPECT_TRUE(window.empty());
  EXPECT_FALSE(guard.spiked());
}

}  // namespace
}  // namespace sprout::backend
