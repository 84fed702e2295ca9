// SPDX-License-Identifier: GPL-3.0-or-later
// What sprout-train can execute. `sprout export` refuses a plan the trainer
// cannot run, and sprout-train refuses it at start, with the same message:
// never silently change a layout.
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

// The first stage layout the trainer cannot run, as
// "stage '51B': layout TP4 PP2 ... cannot run in sprout-train: reason", or
// nothing. sprout-train runs any TP x PP x DP layout the planner accepts
// (layout_problem), with dropout and with or without sequence parallelism,
// except: a vocabulary not divisible by tp, sequence parallelism with a
// seq_len not divisible by tp, and interleaved 1F1B with micro-batches per
// pipeline not a multiple of pp (Megatron-LM's rules). Every position
// embedding (learned, rotary, xPos) and norm (LayerNorm, RMSNorm) runs, and
// uneven pipeline stages (pp_layers, first/last_stage_layers) as written. It
// refuses ZeRO-3 (fully_sharded) and attention flash1 (a cost-model setting).
std::optional<std::string> trainer_cannot_run(const Plan& plan);

// The same refusal with the plan line and key it is about
// (stages[i].parallel or stages[i].attention).
struct TrainerRefusal {
  SourceLocation where;
  std::string field;
  std::string reason;
};
std::optional<TrainerRefusal> trainer_refusal(const Plan& plan);

// Throws trainer_refusal(plan) as an InputError: "plan.yaml:14:17:
// stages[1].parallel: stage '51B': layout ... cannot run in sprout-train: ...".
void require_trainer_can_run(const Plan& plan);

// Throws InputError for a growth sprout-train cannot make
// function-preserving: a head-size change under rotary/xPos
// (head_size_growth_problem), as "file:line:col: stages[i].hidden: cannot
// grow from stage 'a': hidden changes the head size ...". sprout-train
// (schedule_stages) and the export call it.
void require_trainable_growth(const Plan& plan);

}  // namespace sprout::planner
