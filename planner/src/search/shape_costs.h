// SPDX-License-Identifier: GPL-3.0-or-later
// What one token costs at a model shape on the request's cluster: the planner's
// layout search run once per shape (memoised here for the schedule search).
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/search/stage_template.h"

namespace sprout::planner {

struct ShapeCost {
  ModelShape shape;
  double params = 0;
  Stage stage;              // the template stage with its layout, recompute and batch fixed
  double batch_tokens = 0;  // tokens per iteration after rounding the batch to the layout
  double iteration_s = 0;
  Costs per_iteration;                 // costs_for(iteration_s): costs are linear in time
  std::optional<std::string> problem;  // why no layout fits, if none does
  double per_token(double Costs::*field) const { return per_iteration.*field / batch_tokens; }
};

// `base` carries the hardware, GPU count, region, price and power model.
ShapeCost cost_shape(const Plan& base, const StageTemplate& t, const ModelShape& shape);

// c x factor, field by field.
Costs scaled(const Costs& c, double factor);

}  // namespace sprout::planner
