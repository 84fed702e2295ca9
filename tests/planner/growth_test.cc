// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/growth.h"

#include <gtest/gtest.h>

namespace sprout::planner {
namespace {

ModelShape flm_shape(int l, int h, int a) {
  return {l, h, a, a, 4 * h, 100256, 2048, Activation::kGelu, PositionEmbedding::kXpos, true};
}

TEST(Growth, InfersWidthThenDepthAsInFlm101B) {
  auto g1 = infer_growth(flm_shape(40, 5632, 44), flm_shape(40, 10240, 80));  // heads of 128 added
  EXPECT_FALSE(g1.problem);
  EXPECT_TRUE(g1.kind.width);
  EXPECT_FALSE(g1.kind.depth);
  auto g2 = infer_growth(flm_shape(40, 10240, 80), flm_shape(80, 10240, 80));
  EXPECT_FALSE(g2.problem);
  EXPECT_TRUE(g2.kind.depth);
  EXPECT_FALSE(g2.kind.width);
  EXPECT_EQ(describe(infer_growth(flm_shape(2, 64, 4), flm_shape(4, 128, 8)).kind), "width+depth");
  EXPECT_EQ(describe(infer_growth(flm_shape(2, 64, 4), flm_shape(2, 64, 4)).kind), "none");
}

TEST(Growth, ShrinkingIsRejected) {
  auto g = infer_growth(flm_shape(80, 10240, 80), flm_shape(40, 10240, 80));
  ASSERT_TRUE(g.problem);
  EXPECT_EQ(g.problem_field, "layers");
  EXPECT_NE(g.problem->find("shrinks from 80 to 40"), std::string::npos);
  auto v = flm_shape(40, 10240, 80);
  v.vocab = 50000;
  auto g2 = infer_growth(flm_shape(40, 10240, 80), v);
  ASSERT_TRUE(g2.problem);
  EXPECT_EQ(g2.problem_field, "vocab");
}

TEST(Growth, RotaryAndXposKeepTheHeadSizeLearnedPositionsMayGrowIt) {
  for (PositionEmbedding p : {PositionEmbedding::kRotary, PositionEmbedding::kXpos}) {
    auto from = flm_shape(40, 5760, 80), to = flm_shape(40, 10240, 80);  // head size 72 -> 128
    from.position = to.position = p;
    const auto problem = head_size_growth_problem(from, to);
    ASSERT_TRUE(problem) << to_string(p);
    EXPECT_EQ(*problem, std::string("changes the head size hidden/heads from 72 to 128, but ") + to_string(p) +
                            " turns pair i by theta_i = 10000^(-2i/d) of the head size d: grow the heads instead "
                            "(keep hidden/heads = 72)");
    // A plan-load error too: infer_growth reports it for the `hidden` key.
    const auto g = infer_growth(from, to);
    ASSERT_TRUE(g.problem) << to_string(p);
    EXPECT_EQ(*g.problem, *problem);
    EXPECT_EQ(g.problem_field, "hidden");
    // Heads of 128 added: fine.
    EXPECT_FALSE(head_size_growth_problem(flm_shape(40, 5632, 44), to));
    from.position = to.position = PositionEmbedding::kLearned;
    EXPECT_FALSE(head_size_growth_problem(from, to));
  }
  // The norm is fixed, as the position embedding is.
  auto rms = flm_shape(40, 10240, 80);
  rms.norm = Norm::kRmsNorm;
  const auto g = infer_growth(flm_shape(40, 5120, 40), rms);
  ASSERT_TRUE(g.problem);
  EXPECT_EQ(g.problem_field, "norm");
}

TEST(Growth, TransitionSavesAndReloadsCheckpoints) {
  HardwareProfile hw;
  hw.gpus_per_node = 8;
  hw.checkpoint_write_gb_per_s = 2;
  hw.restart_overhead_s = 600;
  auto from = flm_shape(40, 5760, 80), to = flm_shape(40, 10240, 80);
  const double bw = 2e9 * 24;  // 192 GPUs = 24 nodes
  EXPECT_NEAR(growth_transition_seconds(from, to, 192, hw),
              14 * parameter_count(from) / bw + 14 * parameter_count(to) / bw + 600, 1e-6);
  EXPECT_NEAR(checkpoint_bytes(to), 14 * parameter_count(to), 1);
  // Growing in place (same layout): only the restart point is written.
  EXPECT_NEAR(growth_transition_seconds(from, to, 192, hw, /*relaunch=*/false), 14 * parameter_count(from) / bw, 1e-6);
}

}  // namespace
}  // namespace sprout::planner
