// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/step_specs.h"

#include <algorithm>

#include "data/batch_sampler.h"
#include "model/lr_schedule.h"

namespace sprout::backend {

StepSpec next_step_spec(const planner::Plan& plan, const StageSchedule& sc, const RunCounters& c,
                        const TokenShard& train, Precision precision, int64_t bucket_bytes) {
  const planner::Stage& s = plan.stages[c.stage_index];
  const LrSchedule lr_schedule{s.lr, sc.steps, sc.warmup_steps, plan.training.min_lr_fraction};
  const uint64_t seed = static_cast<uint64_t>(plan.training.seed);
  return {.shard = &train,
          .seq_len = s.shape.seq_len,
          .data_seed = seed,
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
          .overlap_grad_reduce = s.overlap_grad_reduce};
}

EvalSpec eval_spec(const planner::Plan& plan, const std::vector<StageSchedule>& schedules, const RunCounters& c,
                   const TokenShard& validation, Precision precision) {
  const size_t si = std::min(c.stage_index, plan.stages.size() - 1);
  // The validation set depends on the plan only, not on ranks or micro-batch.
  const int64_t per_batch = std::min(kDefaultMaxMicroBatch, schedules[si].sequences_per_step);
  return {&validation,
          plan.stages[si].shape.seq_len,
          plan.training.eval_batches * per_batch,
          schedules[si].micro_batch,
          precision.bf16,
          precision.device,
          plan.stages[si].attention};
}

}  // namespace sprout::backend
