// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss/growth_loss.h"

#include <gtest/gtest.h>

#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

TEST(GrowthLoss, GrowthKeepsTheLossAndContinuesOnTheLargerCurve) {
  const LossModel m = chinchilla_2022();
  const double small = 16.5e9, large = 51.4e9;
  const auto stages = predict_stage_losses(m, {{small, 245.37e9}, {large, 39.64e9}});
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_DOUBLE_EQ(stages[0].loss_end, predicted_loss(m, small, 245.37e9));
  // Function-preserving growth: the loss right after equals the loss right before.
  EXPECT_NEAR(stages[1].loss_start, stages[0].loss_end, 1e-12);
  // ... reached on the larger model's own curve at fewer effective tokens.
  EXPECT_LT(stages[1].effective_tokens_start, 245.37e9);
  EXPECT_NEAR(predicted_loss(m, large, stages[1].effective_tokens_start), stages[0].loss_end, 1e-12);
  EXPECT_DOUBLE_EQ(stages[1].effective_tokens_end, stages[1].effective_tokens_start + 39.64e9);
  EXPECT_DOUBLE_EQ(stages[1].loss_end, predicted_loss(m, large, stages[1].effective_tokens_end));
}

TEST(GrowthLoss, TokenEfficiencyScalesProgressAfterGrowthOnly) {
  LossModel m = chinchilla_2022();
  m.growth_token_efficiency = 0.5;
  const auto stages = predict_stage_losses(m, {{1e9, 1e11}, {4e9, 2e10}});
  EXPECT_DOUBLE_EQ(stages[0].effective_tokens_end, 1e11);  // before any growth: 1 for 1
  EXPECT_DOUBLE_EQ(stages[1].effective_tokens_end - stages[1].effective_tokens_start, 1e10);
}

TEST(GrowthLoss, SameSizeStagesJustContinue) {
  const LossModel m = chinchilla_2022();
  const auto split = predict_stage_losses(m, {{1e9, 4e10}, {1e9, 6e10}});
  EXPECT_DOUBLE_EQ(split.back().loss_end, predicted_loss(m, 1e9, 1e11));
  EXPECT_DOUBLE_EQ(predict_loss_at(m, {{1e9, 4e10}, {2e9, 6e10}}, 0, 1e10), predicted_loss(m, 1e9, 1e10));
}

TEST(GrowthLoss, Flm101BBeatsTheFinalShapeOnTheSameComputeButNotOnTheSameTokens) {
  // FLM-101B's schedule (plans/flm-101b.yaml) under the published law: a grown
  // model is never better than the final shape trained from scratch on all
  // its tokens (it inherited less than it would have learned), but better
  // than the final shape on the tokens of its own last stage.
  const Plan flm = load_plan(test::source_path("plans/flm-101b.yaml"));
  const LossModel m = chinchilla_2022();
  const auto stages = predict_plan_losses(m, flm);
  ASSERT_EQ(stages.size(), 3u);
  const double n = stages.back().params;
  EXPECT_GT(stages.back().loss_end, predicted_loss(m, n, 311.55e9));
  EXPECT_LT(stages.back().loss_end, predicted_loss(m, n, 26.54e9));
  EXPECT_LT(stages[2].loss_end, stages[1].loss_end);
  EXPECT_LT(stages[1].loss_end, stages[0].loss_end);
}

}  // namespace
}  // namespace sprout::planner
