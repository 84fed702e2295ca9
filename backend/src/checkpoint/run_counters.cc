// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/run_counters.h"

#include <cmath>

#include "sprout/planner/base/units.h"

namespace sprout::backend {

void count_step(RunCounters& c, long long sequences, double tokens, double model_flops, double loss) {
  c.global_step += 1;
  c.step_in_stage += 1;
  c.sequences_consumed += sequences;
  c.tokens += tokens;
  c.model_flops += model_flops;
  c.last_train_loss = loss;
  StageRecord& stage = c.stages[c.stage_index];
  stage.steps += 1;
  stage.tokens += tokens;
  stage.model_flops += model_flops;
  stage.final_train_loss = loss;
}

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

nlohmann::json stage_record_json(const StageRecord& r, int rank_count) {
  return {{"name", r.name},
          {"steps", r.steps},
          {"tokens", r.tokens},
          {"wall_seconds", r.wall_seconds},
          {"gpu_hours", r.wall_seconds / planner::kSecondsPerHour * rank_count},
          {"energy_kwh", r.energy_j / 3.6e6},
          {"model_flops", r.model_flops},
          {"final_train_loss", number_or_null(r.final_train_loss)},
          {"final_val_loss", number_or_null(r.final_val_loss)},
          {"done", r.done}};
}

}  // namespace sprout::backend
