// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/plan/trainer_limits.h"

#include <fmt/format.h>

#include <cmath>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/model/growth.h"

namespace sprout::planner {

std::optional<TrainerRefusal> trainer_refusal(const Plan& plan) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const Stage& st = plan.stages[i];
    if (st.attention == AttentionKernel::kFlash1) {
      // A cost-model setting for runs before FlashAttention-2: the trainer
      // has one fused kernel (flash) and would silently run another one.
      return TrainerRefusal{
          st.attention_location, fmt::format("stages[{}].attention", i),
          fmt::format("stage '{}': attention flash1 cannot run in sprout-train: use flash or standard", st.name)};
    }
    if (!st.parallel) continue;  // the trainer runs such a stage data-parallel on all ranks
    const ParallelLayout& p = *st.parallel;
    const ModelShape& s = st.shape;
    auto refuse = [&](const std::string& reason) {
      return TrainerRefusal{
          st.parallel_location, fmt::format("stages[{}].parallel", i),
          fmt::format("stage '{}': layout {} cannot run in sprout-train: {}", st.name, describe(p), reason)};
    };
    // tp | heads, kv_heads, ffn and pp * interleave | layers are the planner's
    // own layout rules (layout_problem); these are the trainer's.
    if (p.fully_sharded) {
      return refuse("fully_sharded (ZeRO-3) is not implemented in sprout-train; use distributed_optimizer (ZeRO-1)");
    }
    if (s.vocab % p.tp != 0) {
      return refuse(
          fmt::format("vocab={} is not divisible by tp={} (the embedding and the output layer are "
                      "split evenly over the tensor-parallel ranks)",
                      s.vocab, p.tp));
    }
    const double sequences = std::round(st.global_batch_tokens / s.seq_len);
    const double per_pipeline = sequences / (static_cast<double>(p.micro_batch) * p.dp);
    if (p.interleave > 1 && per_pipeline == std::floor(per_pipeline) &&
        static_cast<long long>(per_pipeline) % p.pp != 0) {
      return refuse(
          fmt::format("interleaved 1F1B needs the micro-batches per pipeline ({:g}) to be a multiple of "
                      "pp={} (as Megatron-LM)",
                      per_pipeline, p.pp));
    }
    if (p.tp > 1 && p.sequence_parallel && s.seq_len % p.tp != 0) {
      return refuse(
          fmt::format("sequence parallelism splits seq_len={} over tp={} ranks, which does not divide it "
                      "(set sequence_parallel: false)",
                      s.seq_len, p.tp));
    }
  }
  return std::nullopt;
}

std::optional<std::string> trainer_cannot_run(const Plan& plan) {
  if (auto refusal = trainer_refusal(plan)) return refusal->reason;
  return std::nullopt;
}

void require_trainer_can_run(const Plan& plan) {
  if (auto refusal = trainer_refusal(plan)) throw InputError(refusal->where, refusal->field, refusal->reason);
}

void require_trainable_growth(const Plan& plan) {
  for (size_t i = 1; i < plan.stages.size(); ++i) {
    const Stage& prev = plan.stages[i - 1];
    const Stage& st = plan.stages[i];
    if (auto problem = head_size_growth_problem(prev.shape, st.shape)) {
      throw InputError(st.location, fmt::format("stages[{}].hidden", i),
                       fmt::format("cannot grow from stage '{}': hidden {}", prev.name, *problem));
    }
  }
}

}  // namespace sprout::planner
