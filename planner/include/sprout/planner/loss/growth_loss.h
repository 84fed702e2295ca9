// SPDX-License-Identifier: GPL-3.0-or-later
// Loss of a grown model: what a schedule of stages at growing sizes reaches.
//
// Assumption (docs/search.md "Growth-aware loss"): an MSG growth is function
// preserving (Yao et al. 2023, arXiv 2305.02869: at mask 0 the grown model
// computes exactly the old function), so the loss right after growth equals the
// loss right before it, as FLM-101B's loss curves show (arXiv 2309.03852). The
// grown N'-parameter model then continues on its *own* from-scratch curve
// L(N', D) from the point D_eff where that curve has the same loss:
//   D_eff = (B / (L_before - E - A / N'^alpha))^(1/beta)
// the "effective data" idea of Hernandez et al. 2021 (arXiv 2102.01293): the
// tokens a from-scratch model would need to reach what was inherited. Each
// later token advances it by `growth_token_efficiency` tokens (1 unless
// calibrated on small growth runs by `sprout fit-loss`).
#pragma once

#include <vector>

#include "sprout/planner/loss/loss_model.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

// Where a model is on its loss curve.
struct LossState {
  double params = 0;
  double effective_tokens = 0;  // D on the from-scratch curve of a `params` model
  bool grown = false;           // reached by growth: later tokens count with the efficiency
};

LossState start_training(double params);
LossState train_tokens(const LossModel& model, LossState state, double tokens);
LossState grow_to(const LossModel& model, const LossState& state, double new_params);
double loss_of(const LossModel& model, const LossState& state);

// One stage of a schedule: a model size and the tokens trained at that size.
struct StageSize {
  double params = 0;
  double tokens = 0;
};

struct StageLoss {
  double params = 0;
  double tokens = 0;
  double effective_tokens_start = 0;  // on this size's curve, right after growing into it
  double effective_tokens_end = 0;
  double loss_start = 0;  // right after growth (= the previous stage's end)
  double loss_end = 0;
};

// Stage by stage; a stage of the same size as the previous one just continues.
std::vector<StageLoss> predict_stage_losses(const LossModel& model, const std::vector<StageSize>& stages);
// The loss after `tokens_into_stage` tokens of stage `stage` (for fitting
// curves point by point).
double predict_loss_at(const LossModel& model, const std::vector<StageSize>& stages, size_t stage,
                       double tokens_into_stage);

std::vector<StageSize> stage_sizes(const Plan& plan);
std::vector<StageLoss> predict_plan_losses(const LossModel& model, const Plan& plan);

}  // namespace sprout::planner
