// SPDX-License-Identifier: GPL-3.0-or-later
// What every stage of a searched schedule shares: everything but its size.
// Defaults are FLM-101B's published settings (arXiv 2309.03852; docs/references.md "FLM-101B")
// and plans/flm-101b.yaml's documented guesses where the paper is silent, so
// that a searched FLM-shaped schedule costs what that plan costs.
#pragma once

#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct StageTemplate {
  int vocab = 100256;  // FLM-101B
  int seq_len = 2048;  // FLM-101B
  Activation activation = Activation::kGelu;
  PositionEmbedding position = PositionEmbedding::kXpos;  // FLM-101B's
  bool tied_embeddings = true;
  double global_batch_tokens = 4.72e6;                     // FLM-101B 16B and 51B stages
  double dropout = 0.1;                                    // Megatron-LM default (plans/flm-101b.yaml guess)
  AttentionKernel attention = AttentionKernel::kStandard;  // plans/flm-101b.yaml guess
  long long grow_steps = kDefaultGrowSteps;                // MSG mask ramp after each growth
  double warmup_fraction = 0.01;
};

// A learning rate for a model of `params` parameters: the power law through
// FLM-101B's first and last stages (4e-4 at 16.5B, 2e-4 at 101.7B; arXiv
// 2309.03852 Table 1). It only goes into the plan for the trainer; no cost or
// loss prediction depends on it.
double learning_rate_for(double params);

// The settings of an existing stage (e.g. the last stage of a plan), to search
// schedules like it (`sprout search --like PLAN.yaml`).
StageTemplate stage_template_from(const Stage& stage);

// A stage of `shape` on `tokens` with the template's settings, no layout.
Stage make_stage(const StageTemplate& t, const ModelShape& shape, double tokens);

}  // namespace sprout::planner
