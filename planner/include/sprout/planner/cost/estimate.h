// SPDX-License-Identifier: GPL-3.0-or-later
// The planner's answer for a whole plan: per stage and total, plus the
// from-scratch baseline (the final shape trained on all the plan's tokens).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/cost/layout_search.h"
#include "sprout/planner/model/growth.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct StageEstimate {
  std::string name;
  ModelShape shape;
  double params = 0;
  double tokens = 0;
  double flops = 0;  // model FLOPs of the stage (MFU numerator)
  ParallelLayout layout;
  bool layout_searched = false;
  IterationEstimate iteration;
  MemoryBreakdown memory;
  long long iterations = 0;
  bool throughput_overridden = false;
  GrowthKind growth;                          // how this stage was reached (none for the first)
  double growth_transition_s = 0;             // stop before this stage to grow into it
  long long ramp_iterations = 0;              // iterations with the MSG mask active
  double mask_ramp_s = 0;                     // extra time the mask costs over those iterations
  double evaluation_s = 0;                    // validation passes (sprout-train: its eval schedule)
  double warmup_s = 0;                        // sprout-train's first step beyond a steady one
  Costs costs;                                // training (mask ramp, evaluation, warm-up included) + growth transition
  std::vector<LayoutCandidate> alternatives;  // top layouts when searched
};

struct PlanEstimate {
  std::string name;
  std::vector<StageEstimate> stages;
  Costs total;
  double total_flops = 0;
  double total_tokens = 0;
  std::optional<StageEstimate> scratch_baseline;  // final shape on all tokens
  Costs scratch_total;
};

// Replaces the analytic iteration estimate of a stage's chosen layout with
// another model's (the simulator's pipeline DAG: `sprout plan
// --simulate-iteration`). The planner cannot depend on the simulator, so the
// caller passes it in. Layout search still ranks with the analytic model.
using IterationRefiner = std::function<IterationEstimate(const StageWorkload& work, const IterationEstimate& analytic,
                                                         const HardwareProfile& hw)>;

struct EstimateOptions {
  bool with_scratch_baseline = true;
  int alternatives = 5;  // how many runner-up layouts to keep
  LayoutSearchOptions search;
  IterationRefiner refine_iteration;  // empty: the analytic model
};

// Optimizer steps that train a stage's `tokens` at `batch_tokens` per step:
// the nearest whole number, at least one. sprout-train runs exactly this many.
long long iterations_for_tokens(double tokens, double batch_tokens);

// Tokens a stage really trains: its iterations times its batch.
double trained_tokens(const StageEstimate& stage);

// Throws InputError when a stage's given layout is impossible or does not fit.
PlanEstimate estimate_plan(const Plan& plan, const EstimateOptions& options = {});

// One stage on its own (used by the search and the simulator).
StageEstimate estimate_stage(const Plan& plan, const Stage& stage, const EstimateOptions& options);

// The activation recomputation a stage trains with: the plan's (`recompute:`,
// `none` under a given layout without it), else the planner's choice (the
// best layout of the search; `none` when no layout fits the plan's
// cluster). sprout-train runs exactly this.
Recompute planned_recompute(const Plan& plan, const Stage& stage);

}  // namespace sprout::planner
