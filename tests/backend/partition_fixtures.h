// SPDX-License-Identifier: GPL-3.0-or-later
// Layouts and optimizer states for the tests that cut models into parts
// (model_partition_test.cc, part_regrowth_test.cc).
#pragma once

#include "model/adamw.h"
#include "model/gpt_model.h"
#include "parallel/stage_layout.h"

namespace sprout::backend::test {

// tp x pp x dp with the pipeline's blocks balanced by FLOPs.
inline StageLayout grid(int tp, int pp, int dp, const planner::ModelShape& shape) {
  StageLayout l;
  l.tp = tp;
  l.pp = pp;
  l.dp = dp;
  l.chunk_layers = balanced_chunk_layers(shape, pp);
  return l;
}

// Random Adam moments at step `step`, so that a mix-up of parameters and
// moments shows.
inline AdamWState random_moments(const GptModel& model, at::Generator& g, long long step) {
  AdamWState opt = make_adamw_state(model.parameters());
  opt.step = step;
  for (auto& m : opt.moments) {
    m.exp_avg.normal_(0, 1, g);
    m.exp_avg_sq.uniform_(0, 1, g);
  }
  return opt;
}

}  // namespace sprout::backend::test
