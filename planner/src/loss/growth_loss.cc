// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss/growth_loss.h"

#include <algorithm>

namespace sprout::planner {

LossState start_training(double params) { return {params, 0, false}; }

LossState train_tokens(const LossModel& model, LossState state, double tokens) {
  state.effective_tokens += (state.grown ? model.growth_token_efficiency : 1.0) * tokens;
  return state;
}

LossState grow_to(const LossModel& model, const LossState& state, double new_params) {
  if (new_params == state.params) return state;
  // The loss carries over (function-preserving growth); find where the larger
  // model's own curve has that loss.
  return {new_params, effective_tokens(model, new_params, loss_of(model, state)), true};
}

double loss_of(const LossModel& model, const LossState& state) {
  return predicted_loss(model, state.params, state.effective_tokens);
}

std::vector<StageLoss> predict_stage_losses(const LossModel& model, const std::vector<StageSize>& stages) {
  std::vector<StageLoss> out;
  LossState state;
  for (size_t i = 0; i < stages.size(); ++i) {
    state = i == 0 ? start_training(stages[i].params) : grow_to(model, state, stages[i].params);
    StageLoss s;
    s.params = stages[i].params;
    s.tokens = stages[i].tokens;
    s.effective_tokens_start = state.effective_tokens;
    s.loss_start = loss_of(model, state);
    state = train_tokens(model, state, stages[i].tokens);
    s.effective_tokens_end = state.effective_tokens;
    s.loss_end = loss_of(model, state);
    out.push_back(s);
  }
  return out;
}

double predict_loss_at(const LossModel& model, const std::vector<StageSize>& stages, size_t stage,
                       double tokens_into_stage) {
  std::vector<StageSize> prefix(stages.begin(), stages.begin() + std::min(stage + 1, stages.size()));
  prefix.back().tokens = tokens_into_stage;
  return predict_stage_losses(model, prefix).back().loss_end;
}

std::vector<StageSize> stage_sizes(const Plan& plan) {
  std::vector<StageSize> out;
  for (const Stage& st : plan.stages) out.push_back({parameter_count(st.shape), st.tokens});
  return out;
}

std::vector<StageLoss> predict_plan_losses(const LossModel& model, const Plan& plan) {
  return predict_stage_losses(model, stage_sizes(plan));
}

}  // namespace sprout::planner
