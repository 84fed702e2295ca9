// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/simulator/iteration/pipeline_bubble.h"

#include <stdexcept>

#include "sprout/planner/base/input_error.h"
#include "sprout/simulator/iteration/iteration_schedule.h"

namespace sprout::simulator {
namespace {

struct StageSums {
  PipelineBubbleCheck check;
  std::vector<double> forward_s, backward_s;
  double p2p_s = 0;
  double replayed_sum = 0;
  int replayed_steps = 0;
};

// The DAG's inputs for a pipelined stage's record, op times not yet set.
IterationInputs pipeline_inputs(const PipelineBubbleCheck& c, double p2p_s) {
  IterationInputs in;
  in.pipeline_stages = c.stages;
  in.micro.chunks_per_stage = c.chunks;
  in.micro.micro_batches = c.micro_batches;
  in.micro.p2p_s = p2p_s;
  return in;
}

// Adds one step record's pipeline to the stage's sums (and replays its ops
// where it logged them).
void add_step(const planner::PipelineTelemetry& p, StageSums& sums) {
  PipelineBubbleCheck& c = sums.check;
  c.stages = p.stages;
  c.chunks = p.chunks;
  c.micro_batches = p.micro_batches;
  c.schedule = p.schedule;
  if (p.forward_s.size() != static_cast<size_t>(c.stages * c.chunks) || p.backward_s.size() != p.forward_s.size()) {
    throw std::invalid_argument("forward_s/backward_s need stages x chunks entries");
  }
  sums.forward_s.resize(p.forward_s.size(), 0.0);
  sums.backward_s.resize(p.forward_s.size(), 0.0);
  for (size_t i = 0; i < p.forward_s.size(); ++i) {
    sums.forward_s[i] += p.forward_s[i];
    sums.backward_s[i] += p.backward_s[i];
  }
  sums.p2p_s += p.p2p_s;
  c.measured_fraction += p.bubble_fraction;
  if (p.forward_op_s) {
    IterationInputs in = pipeline_inputs(c, p.p2p_s);
    in.forward_s_by_op = *p.forward_op_s;
    in.backward_s_by_op = *p.backward_op_s;
    if (p.forward_p2p_op_s) {
      in.forward_p2p_s_by_op = *p.forward_p2p_op_s;
      in.backward_p2p_s_by_op = *p.backward_p2p_op_s;
    }
    sums.replayed_sum += simulate_iteration(in).mean_rank_bubble_fraction;
    sums.replayed_steps += 1;
  }
  c.steps += 1;
}

}  // namespace

std::vector<PipelineBubbleCheck> check_pipeline_bubbles(const planner::RunRecord& run) {
  std::vector<PipelineBubbleCheck> out;
  for (size_t si = 0; si < run.plan.stages.size(); ++si) {
    const auto records = run.stage_records(si);
    StageSums sums;
    bool first = true;
    for (const planner::RunTelemetryRecord* r : records) {
      if (!r->event.empty() || !r->pipeline) continue;
      if (first) {  // the stage's first logged step includes start-up and warm-up
        first = false;
        continue;
      }
      try {
        add_step(*r->pipeline, sums);
      } catch (const std::exception& e) {
        throw planner::InputError({run.dir + "/telemetry.jsonl", r->line, 0}, "pipeline", e.what());
      }
    }
    PipelineBubbleCheck c = sums.check;
    if (c.steps == 0) continue;
    const double n = c.steps;
    c.stage = si;
    c.stage_name = run.plan.stages[si].name;
    c.measured_fraction /= n;
    IterationInputs in = pipeline_inputs(c, sums.p2p_s / n);
    for (double& f : sums.forward_s) f /= n;
    for (double& b : sums.backward_s) b /= n;
    in.forward_s_by_virtual_stage = sums.forward_s;
    in.backward_s_by_virtual_stage = sums.backward_s;
    c.simulated_fraction = simulate_iteration(in).bubble_fraction;
    if (sums.replayed_steps == c.steps) c.replayed_fraction = sums.replayed_sum / n;
    c.analytic_fraction = (c.stages - 1.0) / (static_cast<double>(c.chunks) * c.micro_batches);
    out.push_back(c);
  }
  return out;
}

}  // namespace sprout::simulator
