// SPDX-License-Identifier: GPL-3.0-or-later
// simulate_iteration composes the iteration graph's steps (pipeline_graph.h),
// solves it (task_graph.h) and summarizes the schedule (iteration_summary.h).
#include "sprout/simulator/iteration/iteration_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "iteration/iteration_summary.h"
#include "iteration/pipeline_graph.h"
#include "iteration/task_graph.h"

namespace sprout::simulator {

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::kForward:
      return "forward";
    case TaskKind::kBackward:
      return "backward";
    case TaskKind::kSendActivation:
      return "send_activation";
    case TaskKind::kSendGradient:
      return "send_gradient";
    case TaskKind::kGradientReduce:
      return "gradient_reduce";
    case TaskKind::kOptimizer:
      return "optimizer";
    case TaskKind::kParameterGather:
      return "parameter_gather";
  }
  return "?";
}

bool is_communication(TaskKind kind) {
  return kind == TaskKind::kSendActivation || kind == TaskKind::kSendGradient || kind == TaskKind::kGradientReduce ||
         kind == TaskKind::kParameterGather;
}

const char* to_string(PipelineSchedule schedule) {
  return schedule == PipelineSchedule::k1F1B ? "1F1B" : "interleaved 1F1B";
}

namespace {

void check_inputs(const IterationInputs& in) {
  const planner::MicroBatchTimes& m = in.micro;
  if (in.pipeline_stages < 1) throw std::invalid_argument("pipeline stages must be >= 1");
  if (m.micro_batches < 1) throw std::invalid_argument("micro-batches must be >= 1");
  if (m.chunks_per_stage < 1) throw std::invalid_argument("chunks per stage must be >= 1");
  if (in.gradient_buckets_per_chunk < 1) throw std::invalid_argument("gradient buckets must be >= 1");
  const size_t virtual_stages = static_cast<size_t>(in.pipeline_stages) * m.chunks_per_stage;
  if (!m.layers_by_stage.empty()) {
    if (m.layers_by_stage.size() != static_cast<size_t>(in.pipeline_stages) || m.chunks_per_stage != 1) {
      throw std::invalid_argument("layers by stage need one entry per pipeline stage and no interleaving");
    }
    for (int n : m.layers_by_stage) {
      if (n < 1) throw std::invalid_argument("every pipeline stage needs at least one layer");
    }
  }
  for (const auto* measured : {&in.forward_s_by_virtual_stage, &in.backward_s_by_virtual_stage}) {
    if (!measured->empty() && measured->size() != virtual_stages) {
      throw std::invalid_argument("measured op times need one entry per virtual stage (p * v)");
    }
    for (double d : *measured) {
      if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
    }
  }
  const size_t ops = virtual_stages * static_cast<size_t>(m.micro_batches);
  for (const auto* measured :
       {&in.forward_s_by_op, &in.backward_s_by_op, &in.forward_p2p_s_by_op, &in.backward_p2p_s_by_op}) {
    if (!measured->empty() && measured->size() != ops) {
      throw std::invalid_argument("measured op times need one entry per op (p * v * m)");
    }
    for (double d : *measured) {
      if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
    }
  }
  for (double d : {m.forward_s, m.backward_s, m.forward_tp_comm_s, m.backward_tp_comm_s, m.p2p_s, m.first_stage_extra_s,
                   m.last_stage_extra_s, m.dp_allreduce_s, m.dp_param_gather_s, m.optimizer_s, m.launch_overhead_s}) {
    if (!(d >= 0) || !std::isfinite(d)) throw std::invalid_argument("durations must be finite and >= 0");
  }
}

}  // namespace

IterationSchedule simulate_iteration(const IterationInputs& in) {
  check_inputs(in);
  internal::TaskGraph graph;
  const internal::PipelineOpTasks ops = internal::add_rank_ops(graph, in);
  internal::link_virtual_stages(graph, ops, in);
  const std::vector<internal::TaskId> final_tasks = internal::add_gradient_reduction_and_optimizer(graph, ops, in);
  return internal::summarize_iteration(std::move(graph).solve(final_tasks), in);
}

IterationInputs iteration_inputs(const planner::StageWorkload& work, const planner::IterationEstimate& analytic) {
  IterationInputs in;
  in.micro = analytic.micro;
  in.pipeline_stages = work.layout.pp;
  const int chunks = std::max(1, work.layout.pp * work.layout.interleave);
  in.gradient_buckets_per_chunk = std::max(1, work.shape.layers / chunks);
  return in;
}

planner::IterationEstimate simulated_iteration_estimate(const planner::StageWorkload& work,
                                                        const planner::IterationEstimate& analytic,
                                                        const planner::HardwareProfile& hw) {
  const IterationSchedule schedule = simulate_iteration(iteration_inputs(work, analytic));
  planner::IterationEstimate out = analytic;
  out.breakdown = schedule.breakdown;
  planner::set_iteration_seconds(out, schedule.iteration_s, work.layout.gpus(), hw);
  return out;
}

}  // namespace sprout::simulator
