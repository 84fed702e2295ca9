// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout export PLAN --target megatron --out DIR`: one `torchrun ...
// pretrain_gpt.py` script per stage with Megatron-LM's own flags for the
// stage's shape, batch, layout, precision and learning-rate schedule, and a
// README.md that says what Megatron-LM cannot do (grow a model between
// stages) and what to do instead (docs/export.md "Megatron-LM"). The flag
// names are those of Megatron-LM's argument parser at kMegatronLmCommit
// (tests/data/megatron/arguments.txt, scripts/megatron-argument-names.py).
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/export/cluster_export.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

inline constexpr const char* kMegatronLmCommit = "d98e8a64ddf34856e74b24714e3bedb2f5a39553";

struct MegatronArgument {
  std::string flag;     // "--num-layers"
  std::string value;    // "" for a switch
  std::string comment;  // where the plan and Megatron-LM differ; "" mostly
};

struct MegatronStage {
  std::string name;                         // the plan's stage name
  std::string script;                       // file name in the export directory: stage-1-16b.sh
  std::string log;                          // the log it appends to, relative to $LOG_DIR: stage-1-16b.log
  std::vector<MegatronArgument> arguments;  // pretrain_gpt.py's, in order (data and checkpoint flags aside)
};

struct MegatronExport {
  std::vector<MegatronStage> stages;
  std::vector<std::string> warnings;  // what Megatron-LM runs differently from the plan
};

// The stages' arguments as data: each stage's layout is the estimate's (given
// in the plan or chosen by the planner).
MegatronExport megatron_arguments(const Plan& plan, const PlanEstimate& estimate);

// Writes plan.yaml, README.md and one executable script per stage; the
// result's warnings are also in the README. Throws InputError for options
// that cannot work (node geometry).
ExportResult export_megatron(const Plan& plan, const PlanEstimate& estimate, const ExportOptions& options);

}  // namespace sprout::planner
