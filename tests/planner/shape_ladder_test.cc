// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/search/shape_ladder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/growth.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

TEST(ShapeLadder, TargetsFollowTheAspectRatioOfPublishedModels) {
  const StageTemplate t;
  const ModelShape flm = target_shape_for_params(101e9, t);  // FLM-101B: 80 x 10240, 80 heads
  EXPECT_EQ(flm.layers, 80);
  EXPECT_EQ(flm.hidden, 10240);
  EXPECT_EQ(flm.heads, 80);
  EXPECT_EQ(flm.ffn_hidden, 40960);
  EXPECT_EQ(flm.vocab, 100256);
  // The shape equals the final stage of plans/flm-101b.yaml, parameter for parameter.
  const Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  EXPECT_DOUBLE_EQ(parameter_count(flm), parameter_count(plan.stages.back().shape));
  const ModelShape llama = target_shape_for_params(6.7e9, t);  // Llama-7B: 32 x 4096
  EXPECT_EQ(llama.layers, 32);
  EXPECT_EQ(llama.hidden, 4096);
  const ModelShape gpt3 = target_shape_for_params(175e9, t);  // GPT-3: 96 x 12288
  EXPECT_EQ(gpt3.layers, 96);
  EXPECT_EQ(gpt3.hidden, 12288);
}

// Only shapes that MSG growth takes into the target, in growing size.
void expect_growth_ladder(const std::vector<ModelShape>& ladder, const ModelShape& target) {
  for (size_t i = 0; i < ladder.size(); ++i) {
    EXPECT_FALSE(infer_growth(ladder[i], target).problem) << shape_label(ladder[i]);
    if (i) {
      EXPECT_LT(parameter_count(ladder[i - 1]), parameter_count(ladder[i]));
    }
  }
}

bool has(const std::vector<ModelShape>& ladder, const std::string& label, int heads) {
  return std::any_of(ladder.begin(), ladder.end(),
                     [&](const ModelShape& s) { return shape_label(s) == label && s.heads == heads; });
}

TEST(ShapeLadder, UnderXposWidthsKeepTheHeadSizeAndDropHeads) {
  const ModelShape target = target_shape_for_params(101e9, StageTemplate{});  // xPos, as FLM-101B
  const auto ladder = growth_ladder(target);
  ASSERT_EQ(ladder.size(), 4u * 16u);  // depths 20/40/60/80 x 20..80 heads of 128 by 4
  EXPECT_EQ(shape_label(ladder.back()), "80x10240");
  EXPECT_TRUE(has(ladder, "40x10240", 80));  // FLM-101B 51B
  EXPECT_TRUE(has(ladder, "40x5632", 44));   // a 16B-sized first stage with heads of 128
  EXPECT_TRUE(has(ladder, "20x2560", 20));   // a quarter of each
  for (const ModelShape& s : ladder) EXPECT_EQ(s.head_dim(), 128) << shape_label(s);
  expect_growth_ladder(ladder, target);
}

TEST(ShapeLadder, WithLearnedPositionsWidthsKeepTheHeadsAndShrinkTheirSize) {
  StageTemplate learned;
  learned.position = PositionEmbedding::kLearned;
  const ModelShape target = target_shape_for_params(101e9, learned);
  const auto ladder = growth_ladder(target);
  ASSERT_EQ(ladder.size(), 4u * 13u);       // depths 20/40/60/80 x head sizes 32..128 by 8
  EXPECT_TRUE(has(ladder, "40x5760", 80));  // 80 heads of 72 (plans/flm-101b.yaml's 16B guess)
  EXPECT_TRUE(has(ladder, "20x2560", 80));
  expect_growth_ladder(ladder, target);
}

}  // namespace
}  // namespace sprout::planner
