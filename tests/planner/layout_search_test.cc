// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/layout_search.h"

#include <gtest/gtest.h>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/io/plan_loader.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

StageWorkload flm_101b_workload(const Plan& plan) {
  StageWorkload w;
  const Stage& st = plan.stages.back();
  w.shape = st.shape;
  w.dropout = st.dropout;
  w.attention = st.attention;
  w.global_batch_sequences = 2104;
  return w;
}

TEST(LayoutSearch, FindsFittingLayoutsFor101BOn192Gpus) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  auto result = search_layouts(flm_101b_workload(plan), 192, plan.cluster.hardware);
  ASSERT_FALSE(result.ranked.empty());
  EXPECT_GT(result.evaluated, 100);
  EXPECT_GT(result.rejected_memory, 0);
  for (const auto& c : result.ranked) {
    EXPECT_EQ(c.layout.gpus(), 192);
    EXPECT_LE(c.memory.total_gb(), 80.0);
    EXPECT_FALSE(c.layout.tp == 1 && c.layout.pp == 1) << "101B cannot fit without model parallelism";
  }
  for (size_t i = 1; i < result.ranked.size(); ++i) {
    const auto& a = result.ranked[i - 1].estimate;
    const auto& b = result.ranked[i].estimate;
    EXPECT_LE(a.iteration_s / a.global_batch_sequences, b.iteration_s / b.global_batch_sequences);
  }
}

TEST(LayoutSearch, BestLayoutIsAtLeastAsFastAsThePublishedOne) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  StageWorkload w = flm_101b_workload(plan);
  auto result = search_layouts(w, 192, plan.cluster.hardware);
  w.layout = *plan.stages.back().parallel;
  auto published = estimate_iteration(w, plan.cluster.hardware);
  const auto& best = result.ranked.front().estimate;
  EXPECT_GE(best.tflops_per_gpu, published.tflops_per_gpu * 0.999);
}

TEST(LayoutSearch, FixedRecomputeIsRespected) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  LayoutSearchOptions opts;
  opts.recompute = Recompute::kFull;
  auto result = search_layouts(flm_101b_workload(plan), 192, plan.cluster.hardware, opts);
  ASSERT_FALSE(result.ranked.empty());
  for (const auto& c : result.ranked) EXPECT_EQ(c.layout.recompute, Recompute::kFull);
}

TEST(LayoutSearch, ExplainsWhyNothingFits) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  auto result = search_layouts(flm_101b_workload(plan), 2, plan.cluster.hardware);
  EXPECT_TRUE(result.ranked.empty());
  EXPECT_NE(result.tightest_reason.find("GB per GPU"), std::string::npos) << result.tightest_reason;
}

TEST(LayoutSearch, EstimatePlanSearchesStagesWithoutLayout) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  for (auto& st : plan.stages) st.parallel.reset();
  auto est = estimate_plan(plan);
  for (const auto& s : est.stages) {
    EXPECT_TRUE(s.layout_searched);
    EXPECT_FALSE(s.alternatives.empty());
    EXPECT_GT(s.iteration.tflops_per_gpu, 100);
  }
}

// sprout-train runs the recompute the plan gives, else the planner's choice.
TEST(LayoutSearch, PlannedRecomputeIsThePlansElseTheSearchsChoice) {
  Plan plan = load_plan(test::source_path("plans/flm-101b.yaml"));
  Stage st = plan.stages.back();
  st.recompute = Recompute::kSelective;
  EXPECT_EQ(planned_recompute(plan, st), Recompute::kSelective);
  st.parallel.reset();
  st.recompute.reset();
  const StageEstimate searched = estimate_stage(plan, st, {});
  EXPECT_EQ(planned_recompute(plan, st), searched.layout.recompute);
  // Where no layout fits, the planner chooses nothing: none.
  st.shape.layers *= 1000;
  EXPECT_THROW(estimate_stage(plan, st, {}), InputError);
  EXPECT_EQ(planned_recompute(plan, st), Recompute::kNone);
}

}  // namespace
}  // namespace sprout::planner
