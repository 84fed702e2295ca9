// SPDX-License-Identifier: GPL-3.0-or-later
#include "search/shape_costs.h"

#include "sprout/planner/cost/estimate.h"

namespace sprout::planner {

ShapeCost cost_shape(const Plan& base, const StageTemplate& t, const ModelShape& shape) {
  ShapeCost out;
  out.shape = shape;
  out.params = parameter_count(shape);
  out.stage = make_stage(t, shape, t.global_batch_tokens);
  EstimateOptions options;
  options.alternatives = 0;
  options.with_scratch_baseline = false;
  StageEstimate est;
  try {
    est = estimate_stage(base, out.stage, options);
  } catch (const InputError& e) {
    out.problem = e.reason();
    return out;
  }
  // Fix what the layout search chose, so that the written plan reloads to
  // exactly this estimate: the layout, its recompute, and the batch rounded
  // to a multiple of dp x micro-batch.
  out.stage.parallel = est.layout;
  out.stage.recompute = est.layout.recompute;
  out.stage.global_batch_tokens = static_cast<double>(est.iteration.global_batch_sequences) * shape.seq_len;
  out.batch_tokens = out.stage.global_batch_tokens;
  out.iteration_s = est.iteration.iteration_s;
  out.per_iteration = costs_for(out.iteration_s, base.cluster);
  return out;
}

Costs scaled(const Costs& c, double k) {
  Costs out;
  out.seconds = c.seconds * k;
  out.gpu_hours = c.gpu_hours * k;
  out.cost_usd = c.cost_usd * k;
  out.energy_kwh = c.energy_kwh * k;
  out.co2e_kg = c.co2e_kg * k;
  out.embodied_co2e_kg = c.embodied_co2e_kg * k;
  return out;
}

}  // namespace sprout::planner
