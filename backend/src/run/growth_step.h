// SPDX-License-Identifier: GPL-3.0-or-later
// The growth at a stage's start, on the run's full model and moments (MSG
// operators, model/growth.h; docs/backend.md "MSG growth operators").
#pragma once

#include <cstdint>
#include <string>

#include "checkpoint/run_state.h"
#include "parallel/optimizer_sharding.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {

// The seed of the new weights at the growth into stage `stage_index`
// (model/growth_init.h): from the plan's seed and the stage, so every rank,
// every layout and a resumed run grow exactly alike.
uint64_t growth_seed(const planner::Plan& plan, size_t stage_index);

// Grows `state` (model, moments, mask ramp) to stage `stage_index` of
// `plan`, its mask ramping over `grow_steps`, on the full model. `held`: who holds which moment now;
// returns the same for the grown model: grown moments stay with the rank
// that held the old ones, new ones (zeros) are everywhere.
OptimizerSharding grow_run_state(RunState& state, const planner::Plan& plan, size_t stage_index, long long grow_steps,
                                 const OptimizerSharding& held);

// One step done: the MSG mask ramp moves on; it reaches exactly 1 after
// grow_steps steps, and then the ramp (and with it every mask operation) is
// dropped from the forward pass.
void advance_growth_ramp(RunState& state);

// The `grow` event on `base`: the shapes, the ramp, the old model's
// validation loss, the grown model's at mask 0 and the last training loss.
planner::TelemetryRecord grow_record(planner::TelemetryRecord base, const planner::ModelShape& from,
                                     const planner::ModelShape& to, long long grow_steps, double val_loss_before,
                                     double val_loss_after, double train_loss_before);

// "grew to stage 'wide': layers 1->1 hidden 32->64 ...; val loss a -> b at mask 0 (+x%)"
std::string growth_progress_line(const std::string& stage_name, const planner::ModelShape& from,
                                 const planner::ModelShape& to, double val_loss_before, double val_loss_after);

}  // namespace sprout::backend
