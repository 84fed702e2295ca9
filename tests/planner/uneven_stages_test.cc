// SPDX-License-Identifier: GPL-3.0-or-later
// Uneven pipeline stages (pp_layers, first/last_stage_layers): the plan keys,
// the busiest stage's memory, the bubble of unequal stages, the layout
// search, and that sprout-train runs them.
#include <gtest/gtest.h>

#include <numeric>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/cost/layout_search.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/model/memory_model.h"
#include "sprout/planner/plan/trainer_limits.h"
#include "test_paths.h"

namespace sprout::planner {
namespace {

// One stage of `layers` x 1024 (16 heads) on 8 a100-80 GPUs in a pipeline of
// `pp` stages; `extra` goes into the parallel mapping.
Plan tiny_pipeline(int layers, int pp, const std::string& extra) {
  const std::string yaml = "name: t\nhardware: a100-80\ngpus: " + std::to_string(pp) +
                           "\nregion: us-average\nmodel: {vocab: 32000, seq_len: 2048}\nstages:\n"
                           "  - {name: s, layers: " +
                           std::to_string(layers) +
                           ", hidden: 1024, heads: 16, tokens: 1.0e9, global_batch_tokens: 1048576, lr: 1e-4, "
                           "parallel: {tp: 1, pp: " +
                           std::to_string(pp) + ", dp: 1" + extra + "}}\n";
  return load_plan_from_string(yaml, "t.yaml");
}

EstimateOptions without_baseline() {
  EstimateOptions options;
  options.with_scratch_baseline = false;
  return options;
}

TEST(UnevenStages, SplitsLikeMegatronAndDeepSpeed) {
  // BLOOM-176B: 70 layers on 12 stages, the ends one lighter (DeepSpeed's
  // 'type:transformer|embedding' partition).
  EXPECT_EQ(split_layers(70, 12), (std::vector<int>{5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5}));
  // Llama 3 405B: 126 layers on 16 stages, one layer fewer on each end.
  const std::vector<int> llama = split_layers(126, 16, 7, 7);
  EXPECT_EQ(llama.front(), 7);
  EXPECT_EQ(llama.back(), 7);
  EXPECT_EQ(std::accumulate(llama.begin(), llama.end(), 0), 126);
  for (size_t i = 1; i + 1 < llama.size(); ++i) EXPECT_EQ(llama[i], 8);
  EXPECT_TRUE(split_layers(3, 4).empty()) << "a stage would hold no layer";
}

TEST(UnevenStages, PlanKeysGiveTheStageLayers) {
  const Plan listed = tiny_pipeline(14, 4, ", pp_layers: [3, 4, 4, 3]");
  EXPECT_EQ(listed.stages[0].parallel->stage_layers, (std::vector<int>{3, 4, 4, 3}));
  const Plan ends = tiny_pipeline(14, 4, ", first_stage_layers: 2, last_stage_layers: 2");
  EXPECT_EQ(ends.stages[0].parallel->stage_layers, (std::vector<int>{2, 5, 5, 2}));
  // An even list is the default split.
  EXPECT_TRUE(tiny_pipeline(16, 4, ", pp_layers: [4, 4, 4, 4]").stages[0].parallel->stage_layers.empty());
  // Layers that pp does not divide need a split.
  EXPECT_THROW(tiny_pipeline(14, 4, ""), InputError);
  EXPECT_NE(describe(*listed.stages[0].parallel).find("layers 3/4/4/3"), std::string::npos);
}

TEST(UnevenStages, TheSlowestStageSetsThePaceAndTheBubbleIsTheRest) {
  const Plan plan = tiny_pipeline(14, 4, ", pp_layers: [2, 4, 5, 3]");
  const StageEstimate e = estimate_plan(plan, without_baseline()).stages[0];
  const IterationEstimate& it = e.iteration;
  const MicroBatchTimes& mb = it.micro;
  ASSERT_EQ(mb.layers_by_stage, (std::vector<int>{2, 4, 5, 3}));
  // Per layer: the mean stage's per-chunk time over its 3.5 layers.
  const double layer_s = (mb.forward_s + mb.backward_s) / 3.5;
  std::vector<double> stage_s;
  for (int i = 0; i < 4; ++i) {
    stage_s.push_back(mb.layers_by_stage[i] * layer_s + (i == 0 ? mb.first_stage_extra_s : 0) +
                      (i == 3 ? mb.last_stage_extra_s : 0));
  }
  const double slowest = *std::max_element(stage_s.begin(), stage_s.end());
  const double sum = std::accumulate(stage_s.begin(), stage_s.end(), 0.0);
  EXPECT_NEAR(it.breakdown.compute_s + it.breakdown.tp_comm_s, it.micro_batches * slowest, 1e-9 * slowest);
  EXPECT_NEAR(it.breakdown.bubble_s, sum - slowest, 1e-9 * sum);
  // Equal stages would be faster than these 2/4/5/3 ones (the busiest has 5).
  const Plan even = tiny_pipeline(16, 4, "");
  const IterationEstimate even_it = estimate_plan(even, without_baseline()).stages[0].iteration;
  EXPECT_LT(even_it.iteration_s / 16, it.iteration_s / 14);
}

TEST(UnevenStages, MemoryIsTheBusiestStages) {
  // 1F1B keeps p - i micro-batches in flight on stage i: the first stage
  // holds the most activations, so piling layers onto it costs more memory
  // than piling them onto the last.
  const Plan front = tiny_pipeline(14, 4, ", pp_layers: [5, 3, 3, 3], micro_batch: 4");
  const Plan back = tiny_pipeline(14, 4, ", pp_layers: [3, 3, 3, 5], micro_batch: 4");
  const double front_gb = estimate_plan(front, without_baseline()).stages[0].memory.total_gb();
  const double back_gb = estimate_plan(back, without_baseline()).stages[0].memory.total_gb();
  EXPECT_GT(front_gb, back_gb);
}

TEST(UnevenStages, LayoutSearchSplitsLayersThatPpDoesNotDivide) {
  const Plan plan = tiny_pipeline(14, 4, ", pp_layers: [3, 4, 4, 3]");
  StageWorkload w;
  w.shape = plan.stages[0].shape;
  w.global_batch_sequences = 512;
  LayoutSearchOptions options;
  options.max_tp = 1;
  const LayoutSearchResult found = search_layouts(w, 4, plan.cluster.hardware, options);
  bool uneven_pp4 = false;
  for (const LayoutCandidate& c : found.ranked) {
    if (c.layout.pp != 4) continue;
    EXPECT_TRUE(uneven_stages(c.layout));
    EXPECT_EQ(std::accumulate(c.layout.stage_layers.begin(), c.layout.stage_layers.end(), 0), 14);
    uneven_pp4 = true;
  }
  EXPECT_TRUE(uneven_pp4) << "14 layers on 4 stages needs an uneven split";
}

TEST(UnevenStages, SproutTrainRunsThem) {
  // The trainer runs the plan's split (tests/backend/model_parallel_e2e_test.cc
  // trains 3 + 1 and 1 + 3); the same layout evenly split is no different to it.
  for (const auto& [layers, extra] : std::vector<std::pair<int, std::string>>{
           {14, ", pp_layers: [3, 4, 4, 3]"}, {14, ", first_stage_layers: 2"}, {16, ""}}) {
    const std::optional<std::string> refusal = trainer_cannot_run(tiny_pipeline(layers, 4, extra));
    EXPECT_FALSE(refusal.has_value()) << extra << ": " << refusal.value_or("");
  }
}

TEST(UnevenStages, BloomsPublishedLayoutFitsAndIsWrittenBack) {
  const Plan plan = load_plan(test::source_path("plans/validation/bloom-176b.yaml"));
  const StageEstimate e = estimate_plan(plan, without_baseline()).stages[0];
  EXPECT_EQ(e.layout.stage_layers.size(), 12u);
  EXPECT_LE(e.memory.total_gb(), 80);
  const Plan again = load_plan_from_string(plan_to_yaml(plan), "again.yaml");
  EXPECT_EQ(again.stages[0].parallel->stage_layers, plan.stages[0].parallel->stage_layers);
}

}  // namespace
}  // namespace sprout::planner
