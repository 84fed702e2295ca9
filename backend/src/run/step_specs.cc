// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/step_specs.h"

#include <algorithm>

#include "data/batch_sampler.h"
#include "model/lr_schedule.h"

namespace sprout::backend {

namespace {

// The validation set of a stage: it depends on the plan only, not on ranks or micro-batch.
int64_t validation_windows(const planner::Plan& plan, const StageSchedule& schedule) {
  return plan.training.eval_batches * std::min(kDefaultMaxMicroBatch, schedule.sequences_per_step);
}

}  // namespace

StepSpec next_step_spec(const planner::Plan& plan, const StageSchedule& sc, const RunCounters& c,
                        const TrainingData& data, Precision precision, int64_t bucket_bytes) {
  const planner::Stage& s = plan.stages[c.stage_index];
  const LrSchedule lr_schedule{s.lr, sc.steps, sc.warmup_steps, plan.training.min_lr_fraction};
  const uint64_t seed = static_cast<uint64_t>(plan.training.seed);
  return {.data = &data,
          .seq_len = s.shape.seq_len,
          .dropout_seed = splitmix64(seed ^ 0xd50d0u),
          .first_sequence = c.sequences_consumed,
          .micro_batch = sc.micro_batch,
          .accumulation = sc.accumulation,
          .lr = learning_rate(lr_schedule, c.step_in_stage),
          .grad_clip = plan.training.grad_clip,
          .bf16 = precision.bf16,
          .device = precision.device,
          .bucket_bytes = bucket_bytes,
          .recompute = sc.recompute,
          .attention = s.attention,
          .overlap_grad_reduce = s.overlap_grad_reduce,
          .keep_update = {}};  // the run loop sets it when the loss-spike guard is on
}

EvalSpec eval_spec(const planner::Plan& plan, const std::vector<StageSchedule>& schedules, const RunCounters& c,
                   const TrainingData& data, Precision precision) {
  const size_t si = std::min(c.stage_index, plan.stages.size() - 1);
  return {&data,
          plan.stages[si].shape.seq_len,
          validation_windows(plan, schedules[si]),
          schedules[si].micro_batch,
          precision.bf16,
          precision.device,
          plan.stages[si].attention};
}

double count_trained_step(RunCounters& c, const planner::Stage& stage, const StageSchedule& schedule, double loss) {
  const double tokens = static_cast<double>(schedule.sequences_per_step) * stage.shape.seq_len;
  count_step(c, schedule.sequences_per_step, tokens, planner::model_flops_per_token(stage.shape) * tokens, loss);
  return tokens;
}

DataNeeds data_needs(const planner::Plan& plan, const std::vector<StageSchedule>& schedules) {
  DataNeeds needs;
  needs.seq_len = plan.stages.front().shape.seq_len;
  needs.seed = static_cast<uint64_t>(plan.training.seed);
  for (const StageSchedule& sc : schedules) {
    needs.training_windows += sc.steps * sc.sequences_per_step;
    needs.validation_windows = std::max(needs.validation_windows, validation_windows(plan, sc));
  }
  return needs;
}

}  // namespace sprout::backend
