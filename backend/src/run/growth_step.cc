// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/growth_step.h"

#include <fmt/format.h>

#include "data/batch_sampler.h"

namespace sprout::backend {

uint64_t growth_seed(const planner::Plan& plan, size_t stage_index) {
  return splitmix64(static_cast<uint64_t>(plan.training.seed) + 1000003ULL * stage_index);
}

OptimizerSharding grow_run_state(RunState& state, const planner::Plan& plan, size_t stage_index, long long grow_steps,
                                 const OptimizerSharding& held) {
  const planner::Stage& to = plan.stages[stage_index];
  const GptModel old = state.model;
  GrownModel grown = grow_gpt(old, {to.shape, to.init_std, to.dropout}, grow_steps, growth_seed(plan, stage_index));
  state.optimizer = grow_adamw_state(state.optimizer, old, grown);
  OptimizerSharding grown_sharding;
  for (const auto& src : grown.sources) grown_sharding.owner.push_back(src ? held.owner[*src] : kReplicated);
  state.model = std::move(grown.model);
  state.ramp = grown.ramp.active() ? std::optional<GrowthRamp>(grown.ramp) : std::nullopt;
  return grown_sharding;
}

void advance_growth_ramp(RunState& state) {
  if (!state.ramp) return;
  state.ramp->steps_done += 1;
  if (!state.ramp->active()) state.ramp.reset();
}

planner::TelemetryRecord grow_record(planner::TelemetryRecord base, const planner::ModelShape& from,
                                     const planner::ModelShape& to, long long grow_steps, double val_loss_before,
                                     double val_loss_after, double train_loss_before) {
  base.from = from;
  base.to = to;
  base.grow_steps = grow_steps;
  base.val_loss_before = val_loss_before;
  base.val_loss_after = val_loss_after;
  base.train_loss_before = train_loss_before;
  return base;
}

std::string growth_progress_line(const std::string& stage_name, const planner::ModelShape& a,
                                 const planner::ModelShape& b, double before, double after) {
  return fmt::format(
      "grew to stage '{}': layers {}->{} hidden {}->{} heads {}->{} ffn {}->{}; "
      "val loss {:.4f} -> {:.4f} at mask 0 ({:+.3f}%)",
      stage_name, a.layers, b.layers, a.hidden, b.hidden, a.heads, b.heads, a.ffn_hidden, b.ffn_hidden, before, after,
      100.0 * (after - before) / before);
}

}  // namespace sprout::backend
