// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/step_meter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sprout/planner/base/format_units.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

StepMeter::StepMeter(const planner::Plan& plan, const std::vector<StageSchedule>& schedules, int rank_count)
    : plan_(plan), schedules_(schedules), rank_count_(rank_count), total_steps_(total_steps(schedules)) {}

void StepMeter::begin_stage(size_t stage_index, std::optional<planner::PipelineTelemetry> pipeline) {
  stage_index_ = stage_index;
  flops_per_token_ = planner::model_flops_per_token(plan_.stages[stage_index].shape);
  pipeline_ = std::move(pipeline);
  seconds_ = tokens_ = steps_ = compute_s_ = wait_s_ = reduce_s_ = optimizer_s_ = bubble_ = 0;
  exposed_comm_s_ = exposed_comm_steps_ = 0;
  activation_peak_bytes_ = 0;
  ops_.assign_zeros(pipeline_ ? static_cast<size_t>(pipeline_->stages * pipeline_->chunks * pipeline_->micro_batches)
                              : 0);
}

void StepMeter::add_step(double seconds, double tokens, const ParallelStepResult& step) {
  seconds_ += seconds;
  tokens_ += tokens;
  steps_ += 1;
  compute_s_ += step.step.compute_seconds;
  wait_s_ += step.step.wait_seconds;
  reduce_s_ += step.step.reduce_seconds;
  optimizer_s_ += step.step.optimizer_seconds;
  if (step.step.exposed_comm_seconds) {
    exposed_comm_s_ += *step.step.exposed_comm_seconds;
    exposed_comm_steps_ += 1;
  }
  bubble_ += step.bubble_fraction;
  activation_peak_bytes_ = std::max(activation_peak_bytes_, step.step.activation_peak_bytes);
  if (pipeline_) ops_.add(step.ops);
  flops_per_second_ = flops_per_token_ * tokens / std::max(1e-9, seconds);
}

void StepMeter::fill_step_record(planner::TelemetryRecord& r) {
  const double tokens_per_s = tokens_ / std::max(1e-9, seconds_);
  const double steps = std::max(1.0, steps_);
  r.tokens_per_s = tokens_per_s;
  // Per rank, by the planner's FLOPs formula (model FLOPs: no recompute).
  r.tflops_per_gpu = flops_per_token_ * tokens_per_s / rank_count_ / 1e12;
  // Rank 0's step time split, averaged over the steps since the last record.
  r.compute_s = compute_s_ / steps;
  r.wait_s = wait_s_ / steps;
  r.reduce_s = reduce_s_ / steps;
  r.optimizer_s = optimizer_s_ / steps;
  if (rank_count_ > 1 && exposed_comm_steps_ > 0) r.exposed_comm_s = exposed_comm_s_ / exposed_comm_steps_;
  r.recompute = schedules_[stage_index_].recompute;
  if (activation_peak_bytes_ > 0) r.activation_peak_bytes = activation_peak_bytes_;
  if (pipeline_) {
    // What simulator::check_pipeline_bubbles compares with the iteration
    // DAG: per virtual stage the mean op time, and (up to kMaxLoggedOps ops)
    // every op's time, for the DAG to replay the step as it ran.
    planner::PipelineTelemetry p = *pipeline_;
    const size_t m = static_cast<size_t>(p.micro_batches);
    const PipelineOpTimes mean = ops_.scaled(1.0 / steps);
    p.forward_s.assign(mean.ops() / m, 0.0);
    p.backward_s.assign(p.forward_s.size(), 0.0);
    for (size_t i = 0; i < mean.ops(); ++i) {
      p.forward_s[i / m] += mean.forward_s[i] / static_cast<double>(m);
      p.backward_s[i / m] += mean.backward_s[i] / static_cast<double>(m);
    }
    p.bubble_fraction = bubble_ / steps;
    if (mean.ops() <= kMaxLoggedOps) {
      p.forward_op_s = mean.forward_s;
      p.backward_op_s = mean.backward_s;
      p.forward_p2p_op_s = mean.forward_p2p_s;
      p.backward_p2p_op_s = mean.backward_p2p_s;
    }
    r.pipeline = std::move(p);
  }
  last_tokens_per_s_ = tokens_per_s;
  seconds_ = tokens_ = steps_ = compute_s_ = wait_s_ = reduce_s_ = optimizer_s_ = bubble_ = 0;
  exposed_comm_s_ = exposed_comm_steps_ = 0;
  activation_peak_bytes_ = 0;
  ops_.assign_zeros(ops_.ops());
}

planner::TelemetryRecord StepMeter::step_record(planner::TelemetryRecord base, double loss, double lr, double grad_norm,
                                                std::optional<double> mask) {
  base.loss = loss;
  base.lr = lr;
  base.grad_norm = grad_norm;
  base.mask = mask;
  fill_step_record(base);
  return base;
}

std::string StepMeter::progress_line(const RunCounters& c, double loss, double lr, std::optional<double> mask) const {
  double flops_left = 0;
  for (size_t i = c.stage_index; i < plan_.stages.size(); ++i) {
    const long long steps_left = schedules_[i].steps - (i == c.stage_index ? c.step_in_stage : 0);
    flops_left += static_cast<double>(steps_left) * static_cast<double>(schedules_[i].sequences_per_step) *
                  plan_.stages[i].shape.seq_len * planner::model_flops_per_token(plan_.stages[i].shape);
  }
  return fmt::format("[{}/{} {}] step {}/{} (total {}/{}) loss {:.4f} lr {:.2e} {:.0f} tok/s{} ETA {}",
                     c.stage_index + 1, plan_.stages.size(), plan_.stages[c.stage_index].name, c.step_in_stage,
                     schedules_[c.stage_index].steps, c.global_step, total_steps_, loss, lr, last_tokens_per_s_,
                     mask ? fmt::format(" mask {:.2f}", *mask) : "",
                     planner::clock_duration(flops_left / std::max(1.0, flops_per_second_)));
}

}  // namespace sprout::backend
