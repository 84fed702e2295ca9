// SPDX-License-Identifier: GPL-3.0-or-later
// Which model shapes a growth schedule can pass through on its way to a
// target: the nodes' shapes in the schedule search.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/search/stage_template.h"

namespace sprout::planner {

// The target for a parameter count: hidden = 128 x layers with 128-wide heads
// (so heads = layers), layers a multiple of 4, the count closest to `params`.
// Aspect ratio 128 is what GPT-3 175B (96 x 12288), FLM-101B (80 x 10240) and
// Llama-7B (32 x 4096) use; for 101e9 this gives FLM-101B's 80 x 10240.
ModelShape target_shape_for_params(double params, const StageTemplate& t);

struct LadderOptions {
  // Depths as fractions of the target's (MSG depth growth inserts blocks;
  // FLM-101B doubled 40 -> 80).
  std::vector<double> depth_fractions = {0.25, 0.5, 0.75, 1.0};
  // Widths down to this fraction of the target's hidden size. With learned
  // positions they keep the target's head count and shrink the head size in
  // steps of head_size_step; with rotary/xPos (whose frequencies depend on
  // the head size: MSG may only add heads) they keep the head size and drop
  // heads in steps of head_count_step (4: tp = 2 and 4, FLM-101B's, still
  // divide every count of an 80-head target).
  double min_width_fraction = 0.25;
  int head_size_step = 8;
  int head_count_step = 4;
};

// Every shape from which MSG width and depth growth reach `target` (the
// target included, last): depths x widths, ordered by parameter count.
std::vector<ModelShape> growth_ladder(const ModelShape& target, const LadderOptions& options = {});

// "40x5760" (layers x hidden).
std::string shape_label(const ModelShape& shape);

}  // namespace sprout::planner
