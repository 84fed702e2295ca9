// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/stage_runtime.h"

namespace sprout::backend {

bool zero1_for_stage(const std::string& option, const planner::Stage& stage, int world_size) {
  if (world_size == 1 || option == "off") return false;
  if (option == "on") return true;
  return stage.parallel ? stage.parallel->distributed_optimizer : true;  // the planner's default: on when dp > 1
}

std::unique_ptr<StageRuntime> make_stage_runtime(const RuntimeContext& context, const RuntimeStage& stage) {
  if (stage.layout.tp > 1 || stage.layout.pp > 1) return make_model_parallel_runtime(context, stage);
  return make_data_parallel_runtime(context, stage);
}

}  // namespace sprout::backend
