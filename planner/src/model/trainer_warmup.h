// SPDX-License-Identifier: GPL-3.0-or-later
// What a sprout-train stage's first step costs beyond its steady steps
// (docs/formulas.md "A stage's first step"): the process's one-time work
// when the stage starts a process, and mapping the memory its step touches
// for the first time.
#pragma once

#include "sprout/planner/model/throughput_model.h"

namespace sprout::planner::internal {

// Bytes one rank's training step of `w` holds beyond its weights and
// optimizer states (allocated before the stage's clock starts): the
// activations at their peak (sprout-train's footprint in `dtype`) and the
// fp32 gradients, on the busiest rank.
double trainer_step_bytes(const StageWorkload& w, int micro_batches, const std::string& dtype);

// Seconds of the first step's extra work: `hw`'s one-time work when the
// stage starts a process, plus `fresh_bytes` mapped at the profile's
// fresh-memory rate. 0 for what the profile did not measure.
double trainer_warmup_seconds(const HardwareProfile& hw, bool starts_process, double fresh_bytes);

}  // namespace sprout::planner::internal
