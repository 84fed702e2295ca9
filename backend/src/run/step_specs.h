// SPDX-License-Identifier: GPL-3.0-or-later
// What the next optimizer step and an evaluation of the current stage read:
// the data position, micro-batches, learning rate (model/lr_schedule.h),
// precision and device, from the plan and the run's counters.
#pragma once

#include <vector>

#include "checkpoint/run_state.h"
#include "data/data_source.h"
#include "run/stage_schedule.h"
#include "step/training_step.h"

namespace sprout::backend {

// Where and how precisely the run computes.
struct Precision {
  bool bf16 = false;  // autocast the forward pass
  torch::Device device = torch::kCPU;
};

// The step after `counters` (stage counters.stage_index); buckets and
// sharding are left to the stage's runtime.
StepSpec next_step_spec(const planner::Plan& plan, const StageSchedule& schedule, const RunCounters& counters,
                        const TrainingData& data, Precision precision, int64_t bucket_bytes);

// The fixed validation set of the current stage (the last after the run).
EvalSpec eval_spec(const planner::Plan& plan, const std::vector<StageSchedule>& schedules, const RunCounters& counters,
                   const TrainingData& data, Precision precision);

// One step of `stage` done: the counters move on (its sequences, tokens,
// model FLOPs and loss). Returns the step's tokens.
double count_trained_step(RunCounters& counters, const planner::Stage& stage, const StageSchedule& schedule,
                          double loss);

// What the whole run reads: its windows (every stage's steps x sequences),
// the largest validation set, the sequence length and the data seed.
DataNeeds data_needs(const planner::Plan& plan, const std::vector<StageSchedule>& schedules);

}  // namespace sprout::backend
