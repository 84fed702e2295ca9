// SPDX-License-Identifier: GPL-3.0-or-later
// What the trainer does in each stage of a plan: steps, batch split into
// micro-batches, warm-up, mask ramp. Checked once at start: a plan the
// backend cannot execute is refused with the plan file's line and field.
#pragma once

#include <vector>

#include "sprout/planner/plan/plan.h"

namespace sprout::backend {

// Micro-batch when a stage does not give one: the largest divisor of the
// per-rank batch up to this many sequences. Also the validation batch size
// (Trainer: eval_batches x min(this, global batch) windows, for any layout).
inline constexpr long long kDefaultMaxMicroBatch = 16;

struct StageSchedule {
  long long steps = 0;               // optimizer steps: floor(tokens / global_batch_tokens)
  long long sequences_per_step = 0;  // global batch in sequences
  long long micro_batch = 0;         // sequences per forward/backward
  long long accumulation = 0;        // micro-batches per step on each rank
  long long warmup_steps = 0;
  long long grow_steps = 0;  // MSG ramp length; 0 on the first stage
  // What the backward pass recomputes: the plan's, else the planner's choice
  // (planner::planned_recompute).
  planner::Recompute recompute = planner::Recompute::kNone;
};

// world_size: processes of this run (1 for the single-process trainer).
// Throws planner::InputError (file:line:col: field: reason) when a stage
// cannot run: global batch not a whole number of sequences or not divisible
// into micro-batches x ranks, dp != world_size, a head size that
// shrinks (MSG cannot shrink units), rotary positions, a ramp longer than
// its stage.
std::vector<StageSchedule> schedule_stages(const planner::Plan& plan, int world_size);

// Optimizer steps of the whole plan.
long long total_steps(const std::vector<StageSchedule>& schedules);

}  // namespace sprout::backend
