// SPDX-License-Identifier: GPL-3.0-or-later
// One optimizer step and one evaluation, as the training loop calls them:
// micro-batches forward/backward (gradient accumulation), gradients averaged
// across ranks in buckets, global-norm clipping, AdamW (on this rank's share
// of the parameters under ZeRO-1, then broadcast from their owners).
#pragma once

#include <functional>
#include <optional>

#include "comm/communicator.h"
#include "data/data_source.h"
#include "device/memory_meter.h"
#include "model/adamw.h"
#include "model/gpt_model.h"
#include "model/growth.h"
#include "parallel/gradient_buckets.h"
#include "parallel/optimizer_sharding.h"
#include "sprout/backend/trainer.h"
#include "sprout/planner/model/parallel_layout.h"

namespace sprout::backend {

struct StepSpec {
  const TrainingData* data = nullptr;
  int64_t seq_len = 0;
  uint64_t dropout_seed = 0;   // micro-batch masks come from (dropout_seed, its first sequence)
  int64_t first_sequence = 0;  // of this step's global batch
  int64_t micro_batch = 0;
  int64_t accumulation = 0;  // micro-batches per rank
  double lr = 0;
  double grad_clip = 0;  // 0: no clipping
  bool bf16 = false;     // autocast the forward pass
  torch::Device device = torch::kCPU;
  const GradientBuckets* buckets = nullptr;                  // how gradients are packed for the all-reduce
  const OptimizerSharding* sharding = nullptr;               // who updates which parameter (ZeRO-1)
  int64_t bucket_bytes = kDefaultBucketBytes;                // also for the parameter broadcast
  planner::Recompute recompute = planner::Recompute::kNone;  // what the backward pass re-runs
  planner::AttentionKernel attention = planner::AttentionKernel::kStandard;  // flash: the fused kernel
  MemoryMeter* memory = nullptr;  // when set: measures the activation peak of the micro-batches
  // Data parallelism: all-reduce each bucket during the last backward
  // (overlapped_reduction.h; the stage's overlap_grad_reduce) when the
  // gradients live in the buckets' buffers.
  bool overlap_grad_reduce = false;
  // Asked with the step's loss (the same on every rank) before clipping and
  // the optimizer: false leaves the parameters and moments as they are (the
  // loss-spike guard's skip). Unset: every update is applied.
  std::function<bool(double loss)> keep_update;
};

// The dropout seed of the micro-batch whose first sequence is
// `first_sequence` (ForwardContext::dropout_seed): the same in every layout.
uint64_t micro_batch_dropout_seed(const StepSpec& spec, int64_t first_sequence);

struct StepResult {
  double loss = 0;       // mean over the global batch
  double grad_norm = 0;  // before clipping
  // Where the step's time went (this rank's wall clock).
  double compute_seconds = 0;  // forward + backward
  double wait_seconds = 0;     // for the slowest rank to finish its backward (one empty all-reduce)
  double reduce_seconds = 0;   // gradient and loss all-reduce
  // Gradient communication after backward ended, not hidden behind it: all
  // of the gradient all-reduce without overlap, the wait for the buckets
  // still in flight with it.
  std::optional<double> exposed_comm_seconds;  // measured by the data-parallel step only
  int overlapped_buckets = 0;                  // buckets whose all-reduce started during backward
  double optimizer_seconds = 0;                // clip + AdamW (+ the ZeRO-1 parameter broadcast)
  bool update_skipped = false;                 // keep_update said no: grad_norm not computed (NaN)
  // Activation memory (spec.memory): the most bytes a micro-batch's forward
  // and backward passes held on this rank's device above what it held before
  // its forward; a pipeline's whole schedule of the step (its micro-batches
  // in flight together) above what the rank held before it.
  int64_t activation_peak_bytes = 0;
};

StepResult train_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw, const GrowthMasks* masks,
                      const StepSpec& spec, Communicator& comm);

// Whether the step applies its update (spec.keep_update, asked with r.loss);
// marks a skipped one in `r`.
bool keeps_update(const StepSpec& spec, StepResult& r);

// The update after the gradients are averaged and clipped: AdamW on every
// parameter with a gradient and moments here (its own decay flag), then,
// with ZeRO-1 (spec.sharding), each parameter broadcast from its owner over
// `data_parallel`. Shared by the data-parallel and the model-parallel step.
void apply_optimizer_step(GptModel& model, AdamWState& optimizer, const AdamWSettings& adamw, const StepSpec& spec,
                          Communicator& data_parallel);

struct EvalSpec {
  const TrainingData* data = nullptr;
  int64_t seq_len = 0;
  int64_t windows = 0;      // the validation set: this many windows (TokenSource::validation_window)
  int64_t micro_batch = 0;  // windows per forward pass
  bool bf16 = false;
  torch::Device device = torch::kCPU;
  planner::AttentionKernel attention = planner::AttentionKernel::kStandard;
};

// Mean loss over the fixed validation windows (no dropout, no gradients).
// The ranks split the windows in micro-batches; the result is the mean over
// all windows, so it does not depend on the rank count.
double evaluate(const GptModel& model, const GrowthMasks* masks, const EvalSpec& spec, Communicator& comm);

}  // namespace sprout::backend
