// SPDX-License-Identifier: GPL-3.0-or-later
// What sprout-train can execute. `sprout export` refuses a plan the trainer
// cannot run, and sprout-train refuses it at start, with the same message:
// never silently change a layout.
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/plan.h"

namespace sprout::planner {

// The first stage layout the trainer cannot run, as
// "stage '51B': layout TP4 PP2 ... cannot run in sprout-train: reason", or
// nothing. sprout-train runs any TP x PP x DP layout the planner accepts
// (layout_problem), except: a vocabulary not divisible by tp, interleaved
// 1F1B with micro-batches per pipeline not a multiple of pp (Megatron-LM's
// rule), and dropout > 0 with tp or pp > 1. It also refuses
// rotary/xPos position embeddings (learned positions only). A layout with
// sequence_parallel runs as plain tensor parallelism (the same function;
// the activation-memory saving is not implemented).
std::optional<std::string> trainer_cannot_run(const Plan& plan);

}  // namespace sprout::planner
