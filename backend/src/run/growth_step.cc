// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/growth_step.h"

#include <fmt/format.h>

#include "data/batch_sampler.h"

namespace sprout::backend {

OptimizerSharding grow_run_state(RunState& state, const planner::Plan& plan, size_t stage_index, long long grow_steps,
                                 const OptimizerSharding& held) {
  const planner::Stage& to = plan.stages[stage_index];
  const GptModel old = state.model;
  at::Generator gen =
      make_cpu_generator(splitmix64(static_cast<uint64_t>(plan.training.seed) + 1000003ULL * stage_index));
  GrownModel grown = grow_gpt(old, {to.shape, to.init_std, to.dropout}, grow_steps, gen);
  state.optimizer = grow_adamw_state(state.optimizer, old, grown);
  OptimizerSharding grown_sharding;
  for (const auto& src : grown.sources) grown_sharding.owner.push_back(src ? held.owner[*src] : kReplicated);
  state.model = std::move(grown.model);
  state.ramp = grown.ramp.active() ? std::optional<GrowthRamp>(grown.ramp) : std::nullopt;
  return grown_sharding;
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
