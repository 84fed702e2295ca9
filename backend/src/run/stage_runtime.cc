// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/stage_runtime.h"

namespace sprout::backend {

bool zero1_for_stage(const std::string& option, const planner::Stage& stage, int world_size) {
  if (world_size == 1 || option == "off") return false;
  if (option == "on") return true;
  return stage.parallel ? stage.parallel->distributed_optimizer : true;  // the planner's default: on when dp > 1
}

RuntimeStage runtime_stage(const planner::Stage& stage, const StageSchedule& schedule, int world_size,
                           const std::string& zero1_option) {
  return {.stage = &stage,
          .layout = layout_for_stage(stage, world_size),
          .zero1 = zero1_for_stage(zero1_option, stage, world_size),
          .micro_batch = schedule.micro_batch,
          .accumulation = schedule.accumulation};
}

std::unique_ptr<StageRuntime> make_stage_runtime(const RuntimeContext& context, const RuntimeStage& stage) {
  if (stage.layout.splits_model()) return make_model_parallel_runtime(context, stage);
  return make_data_parallel_runtime(context, stage);
}

}  // namespace sprout::backend
