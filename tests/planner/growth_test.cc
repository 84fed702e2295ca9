// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/growth.h"

#include <gtest/gtest.h>

namespace sprout::planner {
namespace {

ModelShape shape(int l, int h, int a) {
  return {l, h, a, a, 4 * h, 100256, 2048, Activation::kGelu, PositionEmbedding::kRotary, true};
}

TEST(Growth, InfersWidthThenDepthAsInFlm101B) {
  auto g1 = infer_growth(shape(40, 5760, 80), shape(40, 10240, 80));
  EXPECT_FALSE(g1.problem);
  EXPECT_TRUE(g1.kind.width);
  EXPECT_FALSE(g1.kind.depth);
  auto g2 = infer_growth(shape(40, 10240, 80), shape(80, 10240, 80));
  EXPECT_FALSE(g2.problem);
  EXPECT_TRUE(g2.kind.depth);
  EXPECT_FALSE(g2.kind.width);
  EXPECT_EQ(describe(infer_growth(shape(2, 64, 4), shape(4, 128, 8)).kind), "width+depth");
  EXPECT_EQ(describe(infer_growth(shape(2, 64, 4), shape(2, 64, 4)).kind), "none");
}

TEST(Growth, ShrinkingIsRejected) {
  auto g = infer_growth(shape(80, 10240, 80), shape(40, 10240, 80));
  ASSERT_TRUE(g.problem);
  EXPECT_EQ(g.problem_field, "layers");
  EXPECT_NE(g.problem->find("shrinks from 80 to 40"), std::string::npos);
  auto v = shape(40, 10240, 80);
  v.vocab = 50000;
  auto g2 = infer_growth(shape(40, 10240, 80), v);
  ASSERT_TRUE(g2.problem);
  EXPECT_EQ(g2.problem_field, "vocab");
}

TEST(Growth, TransitionSavesAndReloadsCheckpoints) {
  HardwareProfile hw;
  hw.gpus_per_node = 8;
  hw.checkpoint_write_gb_per_s = 2;
  hw.restart_overhead_s = 600;
  auto from = shape(40, 5760, 80), to = shape(40, 10240, 80);
  const double bw = 2e9 * 24;  // 192 GPUs = 24 nodes
  EXPECT_NEAR(growth_transition_seconds(from, to, 192, hw),
              14 * parameter_count(from) / bw + 14 * parameter_count(to) / bw + 600, 1e-6);
  EXPECT_NEAR(checkpoint_bytes(to), 14 * parameter_count(to), 1);
  // Growing in place (same layout): only the restart point is written.
  EXPECT_NEAR(growth_transition_seconds(from, to, 192, hw, /*relaunch=*/false), 14 * parameter_count(from) / bw, 1e-6);
}

}  // namespace
}  // namespace sprout::planner
